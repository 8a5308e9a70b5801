"""Models: the one interface, the registry, non-negativity, nesting of intervals, fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.errors import TalentcastError
from features.series import build_panel, to_long
from models.base import Forecaster, make_context
from models.registry import MODELS, capabilities, make_model, model_names, register
from models.seasonal import deseasonalise

VECTORISED = [name for name, cls in MODELS.items() if cls.vectorised]


def _panel(values_by_series: dict[str, list[float]], start: int = 2000):
    rows = [
        {"series_id": sid, "period": str(start + i), "value": v}
        for sid, values in values_by_series.items()
        for i, v in enumerate(values)
    ]
    return build_panel(to_long(pd.DataFrame(rows)))


def test_registry_names_are_unique_and_flagged():
    table = capabilities()
    assert table["name"].is_unique
    assert {"naive", "snaive", "drift", "mean", "ets", "arima", "theta", "global", "ensemble"} <= set(table["name"])
    assert not table.set_index("name").loc[["ets", "arima"], "vectorised"].any()
    with pytest.raises(TalentcastError, match="known methods: auto, naive"):
        make_model("prophet")


def test_register_refuses_a_duplicate_name():
    class Other(Forecaster):
        name = "naive"

    with pytest.raises(ValueError, match="already registered"):
        register(Other)


def test_baselines_reproduce_their_definitions():
    panel = _panel({"a": [100, 110, 121, 133.1], "b": [50, 50, 50, 50]})
    ctx = make_context(panel, 2)
    naive = np.exp(make_model("naive").fit(panel, ctx).predict_log(2))
    np.testing.assert_allclose(naive, [[133.1, 133.1], [50, 50]])
    drift = np.exp(make_model("drift").fit(panel, ctx).predict_log(2))
    # 10% growth a year on the log scale, continued.
    np.testing.assert_allclose(drift[0], [146.41, 161.051], rtol=1e-9)
    mean = np.exp(make_model("mean").fit(panel, ctx).predict_log(1))
    np.testing.assert_allclose(mean[:, 0], [116.025, 50])


def test_seasonal_naive_repeats_last_cycle_for_months():
    rows = [{"series_id": "m", "period": f"{2020 + i // 12}-{i % 12 + 1:02d}", "value": 10 + i % 12}
            for i in range(36)]
    panel = build_panel(to_long(pd.DataFrame(rows)))
    assert panel.freq == "month"
    forecast = make_model("snaive").fit(panel).predict(14)
    assert forecast["period"].iloc[0] == "2023-01"
    np.testing.assert_allclose(forecast["mean"].to_numpy()[:14], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                                                   21, 10, 11])


def test_smoothing_models_track_a_trend_and_seasonality():
    months = 60
    trend = 1000 * np.exp(0.004 * np.arange(months))
    season = np.exp(0.1 * np.sin(2 * np.pi * np.arange(months) / 12))
    rows = [{"series_id": "s", "period": f"{2015 + i // 12}-{i % 12 + 1:02d}", "value": trend[i] * season[i]}
            for i in range(months)]
    panel = build_panel(to_long(pd.DataFrame(rows)))
    truth = 1000 * np.exp(0.004 * np.arange(months, months + 12)) * np.exp(
        0.1 * np.sin(2 * np.pi * np.arange(months, months + 12) / 12))
    for name in ("damped", "theta", "ses", "rdrift"):
        forecast = make_model(name).fit(panel).predict(12)["mean"].to_numpy()
        error = np.mean(np.abs(forecast / truth - 1))
        assert error < 0.05, (name, error)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(
        st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=9),
        min_size=1, max_size=4,
    ),
    name=st.sampled_from(VECTORISED),
)
def test_intervals_nest_and_never_go_negative(values, name):
    panel = _panel({f"s{i}": v for i, v in enumerate(values)})
    forecast = make_model(name).fit(panel).predict(3, levels=(80, 95))
    cols = forecast[["lo_95", "lo_80", "mean", "hi_80", "hi_95"]].to_numpy()
    assert np.isfinite(cols).all()
    assert (cols >= 0).all()
    assert (np.diff(cols, axis=1) >= -1e-9 * np.maximum(1, np.abs(cols[:, 1:]))).all()


def test_short_series_fall_back_and_are_reported():
    panel = _panel({"long": [10, 11, 12, 13, 14, 15], "short": [5, 6]})
    model = make_model("damped").fit(panel)
    assert model.fallbacks_ == [{"series_id": "short", "requested": "damped", "used": "rdrift",
                                 "error": "2 points; damped needs at least 4"}]
    assert np.isfinite(model.predict_log(2)).all()


def test_a_series_that_makes_statsmodels_raise_falls_back(monkeypatch):
    from models import statistical

    def fragile(self, z, m):
        if np.allclose(z, z[0]):
            raise np.linalg.LinAlgError("singular matrix")
        return original(self, z, m)

    original = statistical.ETS._fit_one
    monkeypatch.setattr(statistical.ETS, "_fit_one", fragile)
    panel = _panel({"ok": [10, 11, 12, 12.5, 13.5, 14], "flat": [7, 7, 7, 7, 7, 7]})
    model = make_model("ets").fit(panel)
    assert [(f["series_id"], f["used"]) for f in model.fallbacks_] == [("flat", "damped")]
    assert "singular matrix" in model.fallbacks_[0]["error"]
    forecast = model.predict_log(2)
    # The flat series gets exactly what the damped model (with the same cross-series context) gives it.
    expected = make_model("damped").fit(panel.take(np.array([1])), model.context_).predict_log(2)
    np.testing.assert_allclose(forecast[1], expected[0])
    assert np.exp(forecast[0, 0]) > 13


def test_zeros_are_allowed_and_forecasts_stay_non_negative():
    panel = _panel({"z": [0, 0, 3, 0, 1, 0, 0]})
    forecast = make_model("ensemble").fit(panel).predict(2)
    assert (forecast[["mean", "lo_95"]].to_numpy() >= 0).all()


def test_intermittent_zeros_do_not_explode():
    # Small sectors of small cities report zeros now and then; the log shift must not turn 0 -> 3 into an
    # exponential trend (it once forecast [0, 0, 3, 0, 5] to 158,114 three years on).
    panel = _panel({"late": [0, 0, 3, 0, 5], "steady": [40, 42, 44, 46, 48]})
    for name in ("drift", "damped", "theta", "ensemble"):
        forecast = make_model(name).fit(panel).predict(3)
        late = forecast[forecast["series_id"] == "late"]["mean"].to_numpy()
        assert late.max() < 30, (name, late)


def test_global_model_learns_cross_series_growth():
    rng = np.random.default_rng(0)
    # 60 series of one sector grow 5% a year, 60 of another shrink 3%: the global model must tell them apart.
    rows = []
    for i in range(120):
        sector, growth = ("G", 0.05) if i < 60 else ("S", -0.03)
        level = rng.uniform(50, 500)
        for t in range(7):
            rows.append({"series_id": f"{i:03d}|{sector}", "period": str(2009 + t),
                         "value": level * np.exp(growth * t + rng.normal(0, 0.01))})
    panel = build_panel(to_long(pd.DataFrame(rows)))
    model = make_model("global").fit(panel, make_context(panel, 2))
    step = np.diff(np.column_stack([panel.log_values[:, -1], model.predict_log(2)]), axis=1)
    assert abs(step[:60].mean() - 0.05) < 0.01
    assert abs(step[60:].mean() + 0.03) < 0.01
    assert set(model_names()) >= {"global"}


def test_models_build_their_fallbacks_through_the_factory_they_were_given():
    from models.smoothing import Damped

    panel = _panel({"short": [10, 11], "long": [10, 11, 12, 13, 14]})
    asked = []

    def factory(name):
        asked.append(name)
        return make_model(name)

    model = Damped(factory=factory).fit(panel, make_context(panel, 2))
    assert asked == ["rdrift"] and model.fallbacks_[0]["used"] == "rdrift"
    with pytest.raises(ValueError, match="without a model factory"):
        Damped().fit(panel, make_context(panel, 2))
    assert make_model("damped").factory is make_model


def test_group_drift_shrinks_noisy_growth_toward_its_province_sector_group():
    # Three cities of province 45 grow 5% a year in section C; a fourth (450400) swings +-30% with a median
    # growth of -22%. Cities of province 32 in section C shrink 2% a year. Empirical Bayes pulls 450400 to +5%.
    rng = np.random.default_rng(3)
    steady = {f"450{c}00|C": list(100 * np.exp(0.05 * np.arange(8) + rng.normal(0, 0.003, 8))) for c in "123"}
    shrinking = {f"320{c}00|C": list(100 * np.exp(-0.02 * np.arange(8) + rng.normal(0, 0.003, 8))) for c in "123"}
    noisy = {"450400|C": [100, 80, 110, 85, 115, 80, 105, 70]}
    panel = _panel({**steady, **shrinking, **noisy})
    model = make_model("gdrift").fit(panel)
    growth = dict(zip(panel.ids, model.growth_))
    weight = dict(zip(panel.ids, model.weight_))
    own = float(np.median(np.diff(np.log(noisy["450400|C"]))))
    assert own == pytest.approx(-0.223, abs=0.001)
    assert 0.0 < weight["450400|C"] < 0.01 and weight["450400|C"] < weight["450100|C"]  # noise keeps little weight
    assert growth["450400|C"] == pytest.approx(0.05, abs=0.01)  # the province 45 x C median, not the panel's
    assert growth["320100|C"] == pytest.approx(-0.02, abs=0.005)
    # The targets are the whole panel's: a model fitted on one city with that context forecasts the same.
    context = make_context(panel, 3)
    alone = make_model("gdrift").fit(panel.take(np.array([list(panel.ids).index("450400|C")])), context)
    np.testing.assert_allclose(alone.predict_log(3)[0], model.predict_log(3)[list(panel.ids).index("450400|C")])


def test_seasonal_adjustment_only_where_seasonality_is_strong():
    from vega_datasets import data

    wide = data.us_employment()  # US CES, seasonally adjusted by BLS
    periods = pd.to_datetime(wide["month"]).dt.strftime("%Y-%m")
    rows = [{"series_id": name, "period": p, "value": v}
            for name in ("nonfarm", "construction", "government") for p, v in zip(periods, wide[name])]
    t = np.arange(120)
    rng = np.random.default_rng(5)
    seasonal = np.exp(np.log(100) + 0.002 * t + 0.03 * np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(0, 0.01, 120)))
    rows += [{"series_id": "seasonal", "period": f"{2000 + i // 12}-{i % 12 + 1:02d}", "value": v}
             for i, v in enumerate(seasonal)]
    panel = build_panel(to_long(pd.DataFrame(rows)))
    adjusted, indices = deseasonalise(panel)
    by_id = dict(zip(panel.ids, np.abs(indices).max(axis=1)))
    # Adjusted data: its month-of-year "indices" (0.03-0.3%) were noise added to every forecast; now none.
    assert by_id["nonfarm"] == by_id["construction"] == by_id["government"] == 0.0
    assert by_id["seasonal"] == pytest.approx(0.03, abs=0.01)
