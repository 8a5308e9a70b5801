"""The engine: forecast() contract, calibrated sample paths, monthly data, errors, local == Dask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.errors import TalentcastError
from features.series import build_panel, to_long
from forecasting import combination
from forecasting.engine import forecast, sample_paths
from forecasting.selection import select_models

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "talentcast/data/real/employment_by_province_sector_2009_2015.csv"


@pytest.fixture(scope="module")
def guangxi() -> pd.DataFrame:
    frame = pd.read_csv(REAL, dtype={"region_code": str})
    frame = frame.rename(columns={"region_code": "region", "sector_code": "sector", "employed_10k": "employed"})
    return frame.loc[frame["region"].isin(["450000", "510000"]), ["region", "sector", "year", "employed"]]


@pytest.fixture(scope="module")
def us_monthly() -> pd.DataFrame:
    """Real monthly data: US CES employment by supersector, 2006-2015 (vega_datasets, offline)."""
    from vega_datasets import data

    wide = data.us_employment()
    wide["period"] = pd.to_datetime(wide["month"]).dt.strftime("%Y-%m")
    sectors = ["construction", "manufacturing", "retail_trade", "information", "leisure_and_hospitality",
               "government"]
    long = wide.melt(id_vars="period", value_vars=sectors, var_name="series_id", value_name="value")
    return long[["series_id", "period", "value"]]


@pytest.fixture(scope="module")
def guangxi_result(guangxi):
    return forecast(guangxi, 3, breaks=["2013"])


def test_forecast_contract(guangxi_result):
    fc = guangxi_result.forecasts
    assert list(fc.columns) == ["series_id", "period", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "model"]
    assert len(fc) == 38 * 3 and fc["series_id"].nunique() == 38
    assert fc.groupby("series_id")["period"].apply(list).map(tuple).unique().tolist() == [("2016", "2017", "2018")]
    values = fc[["lo_95", "lo_80", "mean", "hi_80", "hi_95"]].to_numpy()
    assert (values >= 0).all() and (np.diff(values, axis=1) >= 0).all()
    # Guangxi manufacturing (2015: 93.2 x 10k) stays on its level: within 25% a year out.
    row = fc[(fc["series_id"] == "450000|C") & (fc["period"] == "2016")].iloc[0]
    assert 70 < row["mean"] < 117
    assert set(guangxi_result.selection.columns) == {"series_id", "model", "reason"}
    assert set(guangxi_result.selection["model"]) <= {"naive", "drift", "ses", "damped", "theta", "rdrift",
                                                      "global", "ensemble", "combination"}
    assert (guangxi_result.breaks["source"] == "declared").sum() == 38


def test_sample_paths_follow_the_calibrated_distribution(guangxi_result):
    paths = guangxi_result.sample_paths(n_paths=400, seed=7)
    assert list(paths.columns) == ["series_id", "period", "path", "value"]
    assert len(paths) == 400 * 38 * 3 and (paths["value"] >= 0).all()
    merged = paths.merge(guangxi_result.forecasts, on=["series_id", "period"])
    inside80 = ((merged["value"] >= merged["lo_80"]) & (merged["value"] <= merged["hi_80"])).mean()
    inside95 = ((merged["value"] >= merged["lo_95"]) & (merged["value"] <= merged["hi_95"])).mean()
    assert inside80 == pytest.approx(0.80, abs=0.03)
    assert inside95 == pytest.approx(0.95, abs=0.02)
    # Errors accumulate: years 1 and 3 of a path are correlated like a random walk (sqrt(1/3) = 0.58).
    wide = paths.pivot_table(index=["series_id", "path"], columns="period", values="value")
    logs = np.log(wide)
    centred = logs - logs.groupby(level="series_id").transform("median")
    corr = np.corrcoef(centred["2016"], centred["2018"])[0, 1]
    assert 0.4 < corr < 0.75
    again = guangxi_result.sample_paths(n_paths=400, seed=7)
    pd.testing.assert_frame_equal(paths, again)


def test_sample_paths_function_matches_the_interface(guangxi):
    paths = sample_paths(guangxi[guangxi["region"] == "450000"], horizon=2, n_paths=50, seed=1, method="rdrift")
    assert paths.groupby(["series_id", "period"]).size().eq(50).all()
    assert sorted(paths["period"].unique()) == ["2016", "2017"]


def test_monthly_real_series_keep_seasonality_and_month_periods(us_monthly):
    history = us_monthly[us_monthly["period"] < "2015-01"]
    result = forecast(history, 12)
    fc = result.forecasts
    assert result.freq == "month"
    assert fc["period"].iloc[:12].tolist() == [f"2015-{m:02d}" for m in range(1, 13)]
    truth = us_monthly[us_monthly["period"] >= "2015-01"].rename(columns={"value": "actual"})
    merged = fc.merge(truth, on=["series_id", "period"])
    assert len(merged) == 6 * 12
    mape = (np.abs(merged["mean"] / merged["actual"] - 1)).mean()
    naive = history.sort_values("period").groupby("series_id")["value"].last()
    naive_mape = (np.abs(merged["series_id"].map(naive) / merged["actual"] - 1)).mean()
    assert mape < 0.03 and mape < naive_mape
    covered = ((merged["actual"] >= merged["lo_95"]) & (merged["actual"] <= merged["hi_95"])).mean()
    assert covered >= 0.8


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"series_id": ["a", "a"], "period": ["2020", "2020"], "value": [1, 2]}), {},
         "duplicate period 2020 for series 'a'"),
        (pd.DataFrame({"series_id": ["a", "a"], "period": ["2020", "2021"], "value": ["1", "x"]}), {},
         "row 3, column 'value', value 'x': not a number"),
        (pd.DataFrame({"series_id": ["a"], "period": ["2020"], "value": [1.0]}), {"horizon": 0},
         "horizon must be at least 1"),
        (pd.DataFrame({"series_id": ["a"], "period": ["2020"], "value": [1.0]}), {"method": "lstm"},
         "unknown method 'lstm'; known methods: auto, naive"),
        (pd.DataFrame({"id": ["a"], "period": ["2020"], "value": [1.0]}), {}, "missing columns series_id"),
        (pd.DataFrame({"series_id": ["a"], "period": ["20-20"], "value": [1.0]}), {}, "value '20-20'"),
    ],
)
def test_bad_input_raises_a_clear_error(frame, kwargs, message):
    args = {"horizon": 2, **kwargs}
    with pytest.raises(TalentcastError, match=message):
        forecast(frame, **args)


def test_fallbacks_are_reported_and_one_bad_series_does_not_fail_the_batch():
    frame = pd.DataFrame({
        "series_id": ["long"] * 8 + ["short"] * 2,
        "period": [str(y) for y in range(2008, 2016)] + ["2014", "2015"],
        "value": [10, 11, 12, 13, 13.5, 14, 15, 16, 3, 4],
    })
    result = forecast(frame, 2, method="theta")
    assert result.fallbacks[["series_id", "requested", "used"]].values.tolist() == [["short", "theta", "drift"]]
    assert result.forecasts["mean"].notna().all() and len(result.forecasts) == 4


def test_dask_engine_gives_the_same_numbers(guangxi):
    local = forecast(guangxi, 2)
    distributed = forecast(guangxi, 2, engine="dask")
    pd.testing.assert_frame_equal(local.forecasts, distributed.forecasts)
    pd.testing.assert_frame_equal(local.selection, distributed.selection)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    series=st.lists(st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False), min_size=2, max_size=10),
                    min_size=1, max_size=3),
    horizon=st.integers(min_value=1, max_value=3),
)
def test_engine_intervals_nest_and_stay_non_negative(series, horizon):
    frame = pd.DataFrame([{"series_id": f"s{i}", "period": str(2030 - len(v) + t), "value": x}
                          for i, v in enumerate(series) for t, x in enumerate(v)])
    result = forecast(frame, horizon)
    cols = result.forecasts[["lo_95", "lo_80", "mean", "hi_80", "hi_95"]].to_numpy()
    assert len(cols) == len(series) * horizon and np.isfinite(cols).all() and (cols >= 0).all()
    assert (np.diff(cols, axis=1) >= -1e-9 * np.maximum(1, np.abs(cols[:, 1:]))).all()
    assert (result.sample_paths(5, 0)["value"] >= 0).all()


def test_undeclared_survey_frame_change_is_found_as_a_common_break(guangxi):
    result = forecast(guangxi, 2)
    common = result.breaks[result.breaks["source"] == "detected-common"]
    assert set(common["period"]) == {"2013"} and common["series_id"].nunique() == 38
    # Turned off: only the per-series detector's few large jumps remain.
    off = forecast(guangxi, 2, breaks={"common": False})
    assert "detected-common" not in set(off.breaks["source"])
    # Declared and detected re-levelling agree, so the forecasts are the same as with the declared break.
    declared = forecast(guangxi, 2, breaks=["2013"])
    np.testing.assert_allclose(result.forecasts["mean"], declared.forecasts["mean"], rtol=0.02)


def test_thin_evidence_keeps_naive():
    # A 30% backtest lead on 9 series with 7 errors each is three years' luck: naive stays. With 10 series, or
    # with 36 errors each (one monthly series, twelve horizons), the evidence decides.
    def scores(n_series, n_errors):
        ids = np.array([f"s{i}" for i in range(n_series)])
        frame = pd.DataFrame({"series_id": np.tile(ids, 2), "model": np.repeat(["naive", "damped"], n_series),
                              "mase": np.repeat([1.0, 0.7], n_series), "n": n_errors})
        return frame, ids

    thin, ids = scores(9, 7)
    chosen = select_models(thin, ids, hedge="combination")
    assert set(chosen["model"]) == {"naive"} and chosen["reason"].str.contains("too little backtest evidence").all()
    for n_series, n_errors in ((10, 7), (1, 36)):
        enough, ids = scores(n_series, n_errors)
        assert set(select_models(enough, ids)["model"]) == {"damped"}


def test_combination_weights_follow_backtest_error_and_never_look_ahead():
    n = 20
    ids = np.array([f"r{i}|A" for i in range(n)])
    groups = np.array(["A"] * n)
    # Naive's scaled errors 1.0, global's 0.5 at inner cutoffs 3 and 2; at cutoff 1 (the latest) the reverse.
    errors = {}
    for k, (naive, glob) in {3: (1.0, 0.5), 2: (1.0, 0.5), 1: (0.2, 5.0)}.items():
        errors[(k, "naive")] = np.full((n, 1), naive)
        errors[(k, "global")] = np.full((n, 1), glob)
    w = combination.weights(errors, [3, 2], groups, 1)  # the weights of cutoff 1: learnt from 3 and 2 only
    assert w.shape == (2, n, 1)
    # inverse squared MASE: 1 / 1^2 : 1 / 0.5^2 = 1 : 4
    np.testing.assert_allclose(w[:, 0, 0], [0.2, 0.8])
    np.testing.assert_allclose(combination.weights(errors, [], groups, 2)[:, 0, :], 0.5)  # nothing before
    # add_combination: the earliest inner cutoff gets equal weights, cutoff 1 never sees its own errors.
    pred = {(k, m): np.full((n, 1 if k else 2), value) for k in (0, 3, 2, 1)
            for m, value in (("naive", 0.0), ("global", 1.0))}
    blocks = {"pred": pred}
    panel = build_panel(to_long(pd.DataFrame({"series_id": np.repeat(ids, 8),
                                              "period": np.tile([str(y) for y in range(2008, 2016)], n),
                                              "value": 100.0})))
    combination.add_combination(panel, panel, blocks, [3, 2, 1])
    np.testing.assert_allclose(blocks["pred"][(3, "combination")], 0.5)  # equal weights: nothing before it
    # Selection: the hedge takes naive's place as the reference that others must beat by 3%, and the default.
    scores = pd.DataFrame({"series_id": np.tile(ids, 3), "model": np.repeat(["naive", "global", "combination"], n),
                           "mase": np.repeat([1.00, 0.99, 1.01], n), "n": 2})
    assert set(select_models(scores, ids, hedge="combination")["model"]) == {"combination"}
    assert set(select_models(scores, ids)["model"]) == {"naive"}  # global's 1% lead is within the margin
    for mase, winner in (([1.00, 0.95, 1.01], "global"), ([1.00, 1.02, 1.05], "naive")):
        clear = scores.assign(mase=np.repeat(mase, n))  # a lead of more than 3% over the hedge wins
        assert set(select_models(clear, ids, hedge="combination")["model"]) == {winner}
    empty = pd.DataFrame(columns=["series_id", "model", "mase", "n"])
    assert set(select_models(empty, ids, hedge="combination")["model"]) == {"combination"}
