"""Backtests and metrics: hand-checked metric definitions and pinned accuracy on a fixed slice of real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.series import build_panel, to_long
from forecasting.backtest import backtest, evaluate, summarise
from forecasting.blocks import holdout_steps
from forecasting.breaks import declared_breaks, detect_level_shifts, relevel

REAL = "talentcast/data/real/employment_by_province_sector_2009_2015.csv"
SLICE = ["450000", "610000", "110000", "440000", "510000", "650000"]  # Guangxi + 5 provinces


@pytest.fixture(scope="module")
def real_slice() -> pd.DataFrame:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    frame = pd.read_csv(root / REAL, dtype={"region_code": str})
    frame = frame.rename(columns={"region_code": "region", "sector_code": "sector", "employed_10k": "employed"})
    return frame.loc[frame["region"].isin(SLICE), ["region", "sector", "year", "employed"]]


def test_metrics_match_their_definitions():
    # One series, history 10, 12, 11, 13 (naive MAE = (2 + 1 + 2) / 3 = 5/3); forecast 13 for actual 14.
    bt = pd.DataFrame({"series_id": ["s"], "cutoff": ["2003"], "period": ["2004"], "model": ["m"],
                       "actual": [14.0], "mean": [13.0], "lo_80": [12.0], "hi_80": [13.5],
                       "lo_95": [11.0], "hi_95": [15.0]})
    history = pd.DataFrame({"series_id": "s", "period": ["2000", "2001", "2002", "2003", "2004"],
                            "value": [10.0, 12, 11, 13, 14]})
    metrics = evaluate(bt, history).iloc[0]
    assert metrics["mase"] == pytest.approx(1 / (5 / 3))
    assert metrics["rmsse"] == pytest.approx(np.sqrt(1 / 3))  # naive MSE = (4 + 1 + 4) / 3
    assert metrics["smape"] == pytest.approx(200 * 1 / 27)
    assert metrics["coverage_80"] == 0 and metrics["coverage_95"] == 1
    # Winkler: width 1.5 + 2 / 0.2 x 0.5 miss = 6.5, scaled by the naive MAE.
    assert metrics["interval_score_80"] == pytest.approx(6.5 / (5 / 3))


def test_holdout_steps_roll_the_origin():
    panel = build_panel(to_long(pd.DataFrame({"series_id": "s", "period": [str(y) for y in range(2000, 2012)],
                                              "value": np.arange(12) + 1.0})))
    assert holdout_steps(panel, h=2, n_windows=3, step=2) == [6, 4, 2]
    assert holdout_steps(panel, h=3, n_windows=None) == [8, 7, 6, 5, 4, 3]  # training >= 4 years
    assert holdout_steps(panel.truncate(6), h=3, n_windows=3, partial=True) == [2, 1]


def test_backtest_is_one_long_table_with_baselines(real_slice):
    bt = backtest(real_slice, ["theta"], h=2, n_windows=2, breaks=False)
    assert list(bt.columns[:7]) == ["series_id", "cutoff", "step", "period", "model", "actual", "mean"]
    assert set(bt["model"]) == {"theta", "naive", "drift"}
    assert sorted(bt["cutoff"].unique()) == ["2012", "2013"]
    one = bt[(bt["series_id"] == "450000|E") & (bt["model"] == "naive") & (bt["cutoff"] == "2012")]
    # Guangxi construction: naive from 2012 (42.5) misses the 2013 survey-frame jump to 60.9.
    assert one["period"].tolist() == ["2013", "2014"]
    assert one["actual"].iloc[0] == pytest.approx(60.9, abs=0.05)
    assert one["mean"].iloc[0] == pytest.approx(42.5, abs=0.1)


def test_pinned_accuracy_and_coverage_on_real_slice(real_slice):
    """Regression pin: a change that makes auto or its calibration worse on this real slice fails here."""
    bt = backtest(real_slice, ["auto", "naive"], h=1, breaks=["2013"])
    summary = summarise(evaluate(bt)).set_index("model")
    # The 2012 cutoff scores only 2013, the re-levelled break year, so it is masked: two cutoffs remain.
    assert sorted(bt["cutoff"].unique()) == ["2013", "2014"]
    assert summary.loc["auto", "n"] == 228 and summary.loc["naive", "n"] == 228
    assert summary.loc["naive", "mase"] == pytest.approx(1.1619, abs=0.002)  # baseline: deterministic
    # Honest (break sizes estimated before each cutoff). No single candidate beats naive reliably on 6
    # provinces; the combination of naive and the global model does (#11): 1.097, 5.6% below naive. Before it
    # auto fell back to naive (1.162), and before that fallback it was 4% worse (1.210).
    assert summary.loc["auto", "mase"] == pytest.approx(1.0972, abs=0.01)
    assert summary.loc["auto", "mase"] <= 0.95 * summary.loc["naive", "mase"]
    assert summary.loc["auto", "coverage_80"] == pytest.approx(0.80, abs=0.05)
    assert summary.loc["auto", "coverage_95"] == pytest.approx(0.95, abs=0.03)


def test_declared_break_relevels_history_before_it(real_slice):
    assert declared_breaks("x/employment_by_province_sector_2009_2015.csv") == ("2013",)
    guangxi = to_long(real_slice[real_slice["region"] == "450000"])
    panel = build_panel(guangxi)
    adjusted, report = relevel(panel, ["2013"])
    row = list(panel.ids).index("450000|E")
    values = np.exp(adjusted.log_values[row])
    raw = np.exp(panel.log_values[row])
    # The last three years are untouched; before 2013 everything moves by one factor.
    np.testing.assert_allclose(values[-3:], raw[-3:])
    factor = values[:4] / raw[:4]
    np.testing.assert_allclose(factor, factor[0])
    assert factor[0] > 1.3  # 42.5 -> 60.9 is a 43% jump, minus typical growth
    shift = report.set_index("series_id").loc["450000|E", "shift"]
    assert np.exp(shift) == pytest.approx(factor[0])


def test_detector_finds_a_level_shift_and_ignores_an_outlier():
    growth = 0.03 * np.arange(10)
    shifted = 100 * np.exp(growth + np.where(np.arange(10) >= 6, 0.4, 0.0))
    spike = 100 * np.exp(growth + np.where(np.arange(10) == 6, 0.4, 0.0))
    smooth = 100 * np.exp(growth + 0.005 * np.sin(np.arange(10)))
    rows = [{"series_id": sid, "period": str(2000 + t), "value": v}
            for sid, values in (("shift", shifted), ("spike", spike), ("smooth", smooth))
            for t, v in enumerate(values)]
    found = detect_level_shifts(build_panel(to_long(pd.DataFrame(rows))))
    assert found["series_id"].tolist() == ["shift"]
    assert found["period"].tolist() == ["2006"]
    assert found["shift"].iloc[0] == pytest.approx(0.4, abs=0.01)


def _generated(n, length, freq, seed, shift_at=None, share=0.4):
    """Seeded random walks with per-series drift (and a seasonal cycle for months); optionally a level shift
    of 15-50% (either sign) at column `shift_at` in about `share` of the series."""
    rng = np.random.default_rng(seed)
    per_year = 12 if freq == "month" else 1
    drift = rng.normal(0.03, 0.02, n)[:, None] / per_year
    z = np.log(100) + np.cumsum(drift + rng.normal(0, 0.04 if freq == "year" else 0.01, (n, length)), axis=1)
    if freq == "month":
        z += 0.05 * np.sin(2 * np.pi * np.arange(length) / 12)[None, :]
    if shift_at is not None:
        jumpers = rng.random(n) < share
        size = rng.choice([-1, 1], jumpers.sum()) * rng.uniform(0.15, 0.5, jumpers.sum())
        z[jumpers, shift_at:] += size[:, None]
    periods = ([str(2000 + t) for t in range(length)] if freq == "year"
               else [f"{2000 + t // 12}-{t % 12 + 1:02d}" for t in range(length)])
    return pd.DataFrame({"series_id": np.repeat([f"s{i}" for i in range(n)], length), "period": periods * n,
                         "value": np.exp(z).ravel()})


@pytest.fixture(scope="module")
def real_panel_all() -> pd.DataFrame:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    frame = pd.read_csv(root / REAL, dtype={"region_code": str})
    frame = frame.rename(columns={"region_code": "region", "sector_code": "sector", "employed_10k": "employed"})
    return frame[["region", "sector", "year", "employed"]]


def test_common_break_found_in_the_real_panel_without_being_told(real_panel_all):
    from forecasting.breaks import detect_common_breaks

    panel = build_panel(to_long(real_panel_all))
    # Every cutoff from 2013 on sees the survey-frame change; before it there is nothing to see.
    assert [detect_common_breaks(panel.truncate(k)) for k in range(4)] == [["2013"]] * 3 + [[]]
    adjusted, report = relevel(panel, None)
    common = report[report["source"] == "detected-common"]
    assert set(common["period"]) == {"2013"} and common["series_id"].nunique() >= 580
    # Re-levelled like a declared break: the same shifts.
    _, declared = relevel(panel, ["2013"])
    merged = common.merge(declared, on=["series_id", "period"])
    np.testing.assert_allclose(merged["shift_x"], merged["shift_y"])
    # The option to turn it off leaves only the per-series detector (which finds the largest jumps only).
    _, series_only = relevel(panel, {"common": False})
    assert "detected-common" not in set(series_only["source"])
    _, series_only = relevel(panel, "detect-series")
    assert "detected-common" not in set(series_only["source"]) and len(series_only) < 200


def test_common_break_silent_on_clean_panels():
    from vega_datasets import data

    from forecasting.breaks import detect_common_breaks

    wide = data.us_employment()
    wide["period"] = pd.to_datetime(wide["month"]).dt.strftime("%Y-%m")
    series = [c for c in wide.columns if c not in ("month", "period", "nonfarm_change")]
    ces = build_panel(to_long(wide.melt(id_vars="period", value_vars=series, var_name="series_id",
                                        value_name="value")))
    # Real US CES 2006-2015 including the 2008-09 recession (many series falling for months: an episode, not
    # a level shift), at every cutoff a quarter apart back to 2010.
    assert all(detect_common_breaks(ces.truncate(k)) == [] for k in range(0, 72, 3))
    for seed in range(10):
        for n, length, freq in [(20, 7, "year"), (300, 7, "year"), (40, 15, "year"), (20, 60, "month"),
                                (200, 120, "month")]:
            assert detect_common_breaks(build_panel(to_long(_generated(n, length, freq, seed)))) == []


def test_common_break_found_in_generated_panels():
    from forecasting.breaks import detect_common_breaks

    for seed in range(5):
        assert detect_common_breaks(build_panel(to_long(_generated(300, 7, "year", seed, shift_at=4)))) == ["2004"]
        # At the last period too (the cutoff right after a frame change).
        assert detect_common_breaks(build_panel(to_long(_generated(30, 7, "year", seed, shift_at=6)))) == ["2006"]
        monthly = build_panel(to_long(_generated(200, 60, "month", seed, shift_at=30)))
        assert detect_common_breaks(monthly) == ["2002-07"]
    # Too few series to tell a common jump from noise: nothing.
    assert detect_common_breaks(build_panel(to_long(_generated(10, 7, "year", 0, shift_at=4, share=1.0)))) == []


CITY = "talentcast/data/real/city_employment_by_sector_2003_2015.csv"


def city_slice(cities) -> pd.DataFrame:
    """Real city-panel series (China City Statistical Yearbook) of the given prefecture cities."""
    from pathlib import Path

    frame = pd.read_csv(Path(__file__).resolve().parents[1] / CITY, dtype={"region_code": str})
    frame = frame[frame["region_code"].isin(cities)]
    return pd.DataFrame({"series_id": frame["region_code"] + "|" + frame["sector_code"],
                         "period": frame["year"].astype(str), "value": frame["employed_10k"]})


@pytest.mark.parametrize("breaks, models", [(["2013"], "all"), (None, "auto")])
def test_values_after_a_cutoff_do_not_change_its_forecasts(breaks, models):
    """No look-ahead: break sizes, detectors, selection, calibration and scales see only data up to each cutoff.

    Perturbing every value after 2012 (the 2013 survey-frame break included) must leave the forecasts and
    intervals made at the 2012 cutoff unchanged, for every registered model and for auto, with the break
    declared or only detected.
    """
    from models.registry import model_names

    history = city_slice(["450200"])  # Liuzhou, 2003-2015
    history = history[history["series_id"].str[-1].isin(list("ACEFGIKM"))]  # 8 sections: a few seconds
    rng = np.random.default_rng(7)
    later = history["period"].astype(int) > 2012
    perturbed = history.copy()
    perturbed.loc[later, "value"] *= np.exp(rng.normal(0, 0.3, later.sum()))
    names = ["auto", *model_names()] if models == "all" else [models]
    columns = ["mean", "lo_80", "hi_80", "lo_95", "hi_95"]

    def at_2012(frame):
        bt = backtest(frame, names, h=2, n_windows=2, breaks=breaks)
        rows = bt[bt["cutoff"] == "2012"].sort_values(["model", "series_id", "step"]).reset_index(drop=True)
        # 2013 (step 1) is the masked break year: step 2 (2014) is scored for every series and model.
        assert set(names) <= set(rows["model"]) and len(rows) >= 8 * len(names)
        return rows

    before, after = at_2012(history), at_2012(perturbed)
    assert not np.allclose(before["actual"], after["actual"])  # the perturbation did reach the scored values
    pd.testing.assert_frame_equal(before[["model", "series_id", "step", *columns]],
                                  after[["model", "series_id", "step", *columns]])
    pd.testing.assert_series_equal(before["scale_mae"], after["scale_mae"])


def test_pinned_accuracy_on_a_city_slice():
    """Regression pin on real city series (Nanning, Liuzhou, Guilin; 57 series, cutoffs 2011-2013, h = 2).

    Scores include targets across the 2013 survey-frame change (only the break year itself is skipped), so
    MASE is high for every model and the intervals undercover there (docs/forecasting.md, "Forecast accuracy").
    A change to auto, its selection or its calibration that makes these worse fails here.
    """
    bt = backtest(city_slice(["450100", "450200", "450300"]), ["auto"], h=2, n_windows=3, breaks=["2013"])
    summary = summarise(evaluate(bt)).set_index("model")
    assert sorted(bt["cutoff"].unique()) == ["2011", "2012", "2013"]
    assert summary.loc["auto", "n"] == summary.loc["naive", "n"] == 228
    assert summary.loc["naive", "mase"] == pytest.approx(3.1864, abs=0.002)  # baseline: deterministic
    assert summary.loc["auto", "mase"] == pytest.approx(3.1785, abs=0.01)
    assert summary.loc["auto", "mase"] <= summary.loc["naive", "mase"] + 0.01
    # 0.605 / 0.873 (before the #11 interval fix: 0.610 / 0.846); low because targets cross the 2013 break.
    assert 0.58 <= summary.loc["auto", "coverage_80"] <= 0.70 and 0.85 <= summary.loc["auto", "coverage_95"] <= 0.95
    # Calibrated vs the models' own normal random-walk bands (0.518 / 0.697).
    assert summary.loc["auto", "coverage_80"] > summary.loc["naive", "coverage_80"] + 0.05
    assert summary.loc["auto", "coverage_95"] > summary.loc["naive", "coverage_95"] + 0.1
