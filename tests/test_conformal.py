"""Conformal intervals (#11): scale without break growth, error growth beyond measured horizons, nesting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.series import build_panel, to_long
from forecasting.blocks import break_growth
from forecasting.breaks import relevel
from forecasting.conformal import (DEFAULT_GROWTH, GROUP_PSEUDO, PROBS, calibrate, conformal_bands, isotonic_rows,
                                  scale_parts)
from forecasting.engine import forecast


def test_scale_leaves_out_the_growth_into_a_relevelled_break():
    # Growth 0.10, -0.10, 0.30 (the break, 2013), 0.0, 0.05: re-levelling sets the break growth to the median of
    # the others (0.025), which would pull the MAD down; the scale must rest on the four ordinary rates only.
    growth = [0.10, -0.10, 0.30, 0.0, 0.05]
    values = 100 * np.exp(np.concatenate([[0.0], np.cumsum(growth)]))
    frame = pd.DataFrame({"series_id": "s", "period": [str(y) for y in range(2010, 2016)], "value": values})
    panel, report = relevel(build_panel(to_long(frame)), ["2013"])
    own, count = scale_parts(panel.log_values, break_growth(panel, report))
    ordinary = np.array([0.10, -0.10, 0.0, 0.05])
    expected = 1.4826 * np.median(np.abs(ordinary - np.median(ordinary)))
    assert count[0] == 4 and own[0] == pytest.approx(expected)
    with_break, _ = scale_parts(panel.log_values)
    assert with_break[0] < 0.7 * own[0]  # what the re-levelled break did to the scale before


def test_a_noisy_horizon_does_not_widen_every_later_one():
    # Spreads measured at four horizons: 1, 3 (one noisy blip), 1.2, 1.4. A running maximum would keep the blip
    # (widths 1, 3, 3, 3); isotonic regression pools it with the later ones: 1, then (3 + 1.2 + 1.4) / 3.
    base = np.random.default_rng(3).standard_normal(3000)
    lo, hi = calibrate([base * s for s in (1.0, 3.0, 1.2, 1.4)], 4).bounds(80)
    width = (hi - lo) / (hi - lo)[0]
    np.testing.assert_allclose(width, [1.0, 5.6 / 3, 5.6 / 3, 5.6 / 3], rtol=1e-6)


@pytest.mark.parametrize("rows", [1, 2, 3, 12, 36])
def test_isotonic_rows_is_least_squares_isotonic_regression(rows):
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(rows)
    values = rng.standard_normal((rows, 40)).cumsum(axis=0) * 0.3 + rng.standard_normal((rows, 40))
    expected = np.column_stack([IsotonicRegression().fit_transform(np.arange(rows), values[:, c]) for c in range(40)])
    np.testing.assert_allclose(isotonic_rows(values), expected, atol=1e-12)


def test_intervals_say_what_they_rest_on():
    # Backtest errors too few for quantiles at every horizon (one or a few series): in-sample errors, or with too
    # few of those a default normal model; either way the calibration carries a note for the user.
    unit = np.array([-1.0, 0.5, 1.0])
    in_sample = np.random.default_rng(0).standard_normal(200)
    cal = calibrate([unit] * 3, 3, fallback_errors=in_sample)
    assert cal.counts.sum() == 0 and cal.basis == "in-sample"
    assert "one-step in-sample errors" in cal.note()[0] and "样本内一步误差" in cal.note()[1]
    cal = calibrate([unit] * 2, 2)
    assert cal.basis == "default" and "default normal error model" in cal.note()[0]
    # Ten in-sample errors (one short series): too few for quantiles, enough for a spread - Student t with 9
    # degrees of freedom times their root mean square x sqrt(1 + 1/10), growing as k ** DEFAULT_GROWTH.
    ten = np.array([-2.0, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0])
    cal = calibrate([unit] * 2, 2, fallback_errors=ten)
    spread = np.sqrt(np.mean(ten**2) * 1.1)
    lo, hi = cal.bounds(95)
    assert cal.basis == "in-sample"
    np.testing.assert_allclose(hi, [2.262157 * spread, 2.262157 * spread * 2**DEFAULT_GROWTH], rtol=1e-5)
    assert calibrate([in_sample] * 2, 2).note() is None  # 200 backtest errors per horizon: calibrated


def test_unmeasured_horizons_grow_as_the_measured_ones_do():
    rng = np.random.default_rng(0)
    base = rng.standard_normal(2000)
    # Measured horizons 1-3 with spread growing as k ** 0.8: horizons 4-5 continue that growth.
    cal = calibrate([base * k**0.8 for k in (1, 2, 3)], 5)
    lo, hi = cal.bounds(80)
    assert list(cal.counts) == [2000, 2000, 2000, 0, 0]
    assert (hi - lo)[4] / (hi - lo)[0] == pytest.approx(5**0.8, rel=0.02)
    # One measured horizon: the documented default growth.
    cal = calibrate([base], 3)
    lo, hi = cal.bounds(95)
    assert (hi - lo)[2] / (hi - lo)[0] == pytest.approx(3**DEFAULT_GROWTH, rel=0.01)
    # Nothing measured: in-sample one-step errors x k ** DEFAULT_GROWTH.
    cal = calibrate([np.array([])], 2, fallback_errors=base)
    np.testing.assert_allclose(cal.quantiles[1], np.quantile(base, PROBS) * 2**DEFAULT_GROWTH)


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.sampled_from([0, 5, 40, 300]), min_size=1, max_size=6),
       skew=st.floats(min_value=-2, max_value=2), seed=st.integers(0, 10_000))
def test_calibrated_bands_nest_and_never_narrow_with_the_horizon(sizes, skew, seed):
    rng = np.random.default_rng(seed)
    errors = [rng.standard_normal(n) * (1 + j) + skew * rng.exponential(1, n) for j, n in enumerate(sizes)]
    cal = calibrate(errors, len(sizes) + 1, fallback_errors=rng.standard_normal(50))
    assert np.isfinite(cal.quantiles).all() and (np.diff(cal.quantiles, axis=1) >= -1e-12).all()
    lo80, hi80 = cal.bounds(80)
    lo95, hi95 = cal.bounds(95)
    centre = cal.quantiles[:, len(PROBS) // 2]
    assert (lo95 <= lo80 + 1e-12).all() and (lo80 <= centre + 1e-12).all()
    assert (centre <= hi80 + 1e-12).all() and (hi80 <= hi95 + 1e-12).all()
    assert (np.diff(hi95 - centre) >= -1e-12).all() and (np.diff(centre - lo95) >= -1e-12).all()


def test_groups_get_their_own_spread_pulled_toward_the_pool():
    rng = np.random.default_rng(1)
    calm, wild = rng.standard_normal(400), 3 * rng.standard_normal(400)
    errors = np.concatenate([calm, wild])
    groups = np.array(["P"] * 400 + ["A"] * 400)
    cal = calibrate([errors], 2, groups_by_horizon=[groups])
    width = {g: np.subtract(*cal.bounds(80, g)[::-1])[0] for g in ("P", "A", None)}
    weight = 400 / (400 + GROUP_PSEUDO)
    expected_calm = weight * (np.quantile(calm, 0.9) - np.quantile(calm, 0.1)) + (1 - weight) * width[None]
    assert width["P"] == pytest.approx(expected_calm, rel=0.01)
    assert width["P"] < width[None] < width["A"]
    # Horizon 2 (not measured) grows from each group's own horizon 1; an unknown group gets the pooled grid.
    np.testing.assert_allclose(cal.grid("A")[1], cal.grid("A")[0] * 2**DEFAULT_GROWTH)
    assert cal.grid("no such group") is cal.quantiles
    # Bands and paths use the series' group.
    bands = conformal_bands(np.zeros((2, 2)), np.ones(2), cal, (80,), np.array(["P", "A"]))
    lo, hi = bands[80]
    assert hi[0, 0] - lo[0, 0] == pytest.approx(width["P"]) and hi[1, 0] - lo[1, 0] == pytest.approx(width["A"])
    u = np.full((3, 2), 0.9)
    drawn = cal.quantile(u, 1, np.array(["P", "A"]))
    assert drawn[0, 0] == pytest.approx(np.interp(0.9, PROBS, cal.grid("P")[0]))
    assert drawn[0, 1] == pytest.approx(np.interp(0.9, PROBS, cal.grid("A")[0]))


def test_intervals_hold_on_a_generated_panel_with_known_truth():
    """Pinned coverage where the truth is known: 380 GENERATED yearly series (20 regions x 19 sectors), random
    walks with own drift, own volatility (2-12% a year) and t(5) shocks; forecast from 2014, scored on the
    three generated years after it. Non-stationary real panels are pinned in tests/test_backtest.py."""
    rng = np.random.default_rng(0)
    n, years, h = 380, 15, 3
    vol, drift = rng.uniform(0.02, 0.12, n), rng.normal(0.02, 0.01, n)
    steps = drift[:, None] + vol[:, None] * rng.standard_t(5, (n, years + h)) / np.sqrt(5 / 3)
    ids = [f"{i // 19:03d}|S{i % 19:02d}" for i in range(n)]
    frame = pd.DataFrame({"series_id": np.repeat(ids, years + h),
                          "period": np.tile([str(2000 + t) for t in range(years + h)], n),
                          "value": (100 * np.exp(np.cumsum(steps, axis=1))).ravel()})
    result = forecast(frame[frame["period"].astype(int) < 2015], h, breaks=False)
    scored = result.forecasts.merge(frame, on=["series_id", "period"])
    assert len(scored) == n * h
    inside = {lv: (scored["value"] >= scored[f"lo_{lv}"]) & (scored["value"] <= scored[f"hi_{lv}"]) for lv in (80, 95)}
    by_step = {lv: inside[lv].groupby(scored["period"]).mean() for lv in inside}
    assert by_step[80].between(0.74, 0.88).all() and by_step[95].between(0.92, 0.98).all()
    assert inside[80].mean() == pytest.approx(0.80, abs=0.04) and inside[95].mean() == pytest.approx(0.95, abs=0.02)
