"""Hand-made tables for the supply-demand tests (a tiny Liuzhou; numbers chosen to be hand-computable).

Employment is linear in time, so the `linear_sampler` below (straight-line extrapolation, optionally with noise)
gives known forecasts: 450200|C36 = 1000 + 50 t (t = year - 2015), 450200|C35 = 500 - 10 t, 450200|C (the whole
section) = 3000 + 40 t, 450200|I = 400 + 5 t, 450000|C = 20000 + 100 t, 450000|I = 5000.
Every school-major has intake n each year and, from 2018, graduates 0.9 n, further study 10% of graduates,
employed 80% of graduates, local 50% of the employed - so entrants = 0.36 n (int-rounded: 72 for n = 200).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def tiny_tables() -> dict[str, pd.DataFrame]:
    regions = pd.DataFrame({"code": ["450000", "450200"], "name_zh": ["广西壮族自治区", "柳州市"],
                            "name_en": ["Guangxi", "Liuzhou"], "parent": [None, "450000"],
                            "level": ["province", "city"]})
    sectors = pd.DataFrame({
        "code": ["C", "C36", "C35", "I"],
        "name_zh": ["制造业", "汽车制造业", "专用设备制造业", "信息传输、软件和信息技术服务业"],
        "name_en": ["Manufacturing", "Automobile manufacturing", "Special-purpose machinery", "IT services"],
        "parent": [None, "C", "C", None]})
    rows = []
    for year in range(2015, 2025):
        t = year - 2015
        rows += [("450200", "C36", year, 1000 + 50 * t), ("450200", "C35", year, 500 - 10 * t),
                 ("450200", "C", year, 3000 + 40 * t), ("450200", "I", year, 400 + 5 * t),
                 ("450000", "C", year, 20000 + 100 * t), ("450000", "I", year, 5000)]
    employment = pd.DataFrame(rows, columns=["region", "sector", "year", "employed"])
    employment["employed"] = employment["employed"].astype(float)
    majors = pd.DataFrame({"code": ["460701", "460301", "510201"],
                           "name_zh": ["汽车制造与试验技术", "机械制造及自动化", "计算机应用技术"],
                           "level": ["高职专科"] * 3, "duration_years": [3, 3, 3]})
    schools = pd.DataFrame({"code": ["S1", "S2"], "name": ["柳州职业技术学院", "柳州城市职业学院"],
                            "region": ["450200", "450200"], "type": ["高职", "高职"]})
    enrolment = []
    for year in range(2015, 2025):
        for school, major, intake in [("S1", "460701", 200), ("S1", "510201", 100), ("S2", "460301", 150)]:
            graduates = int(intake * 0.9) if year >= 2018 else None
            outcome = (None, None, None) if graduates is None else (
                int(graduates * 0.8), int(graduates * 0.1), int(graduates * 0.8 * 0.5))
            enrolment.append((school, major, year, intake, graduates, *outcome))
    enrolment = pd.DataFrame(enrolment, columns=["school", "major", "year", "intake", "graduates",
                                                 "graduates_employed", "graduates_further_study",
                                                 "graduates_local"])
    crosswalk = pd.DataFrame({"major": ["460701", "460701", "460301", "510201"],
                              "sector": ["C36", "C", "C35", "I"], "weight": [0.7, 0.3, 1.0, 1.0]})
    return {"regions": regions, "sectors": sectors, "employment": employment, "majors": majors,
            "schools": schools, "enrolment": enrolment, "major_sector_map": crosswalk}


def linear_sampler(noise: float = 0.0):
    """A real (if simple) forecaster: straight line through the first and last points, Gaussian noise."""

    def sample(frame: pd.DataFrame, horizon: int, n_paths: int, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        out = []
        for series_id, group in frame.groupby("series_id", sort=True):
            group = group.sort_values("period")
            values = group["value"].to_numpy(dtype=float)
            last = int(group["period"].iloc[-1])
            slope = (values[-1] - values[0]) / max(len(values) - 1, 1)
            steps = slope + noise * abs(values[-1]) * rng.standard_normal((horizon, n_paths))
            paths = np.maximum(values[-1] + np.cumsum(steps, axis=0), 0.0)
            for k in range(horizon):
                out.append(pd.DataFrame({"series_id": series_id, "period": str(last + k + 1),
                                         "path": np.arange(n_paths), "value": paths[k]}))
        return pd.concat(out, ignore_index=True)

    sample.model_name = "linear"
    return sample
