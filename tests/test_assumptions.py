"""Assumed parameters as versioned data: the file is validated, drawn per path, and P(shortage) includes it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from _supply_demand_fixtures import linear_sampler, tiny_tables

from features.errors import TalentcastError
from forecasting.assumptions import (
    REQUIRED,
    assumption_share,
    dirichlet_weights,
    load_assumptions,
    parse_assumptions,
)
from forecasting.pipeline import run_pipeline
from forecasting.results import compute_results


def test_packaged_file_has_every_parameter_with_source_and_range():
    assumptions = load_assumptions()
    assert assumptions.version >= 1
    for name in REQUIRED:
        a = assumptions[name]
        assert a.source
        if a.distribution != "dirichlet":
            assert a.low <= a.central <= a.high and a.low < a.high
    # The range says how uncertain the guess is: 0.02-0.045 a year is a log-sd of about 0.25.
    assert assumptions["replacement_rate"].log_sd == pytest.approx(np.log(0.045 / 0.02) / 3.29, rel=1e-3)


def test_bad_file_is_refused_naming_parameter_and_field():
    good = {"version": 1, "parameters": {name: {"distribution": "lognormal", "central": 0.5, "low": 0.3,
                                                "high": 0.8, "source": "x"} for name in REQUIRED}}
    bad = dict(good, parameters=dict(good["parameters"], replacement_rate={
        "distribution": "lognormal", "central": 0.9, "low": 0.3, "high": 0.8, "source": "x"}))
    with pytest.raises(TalentcastError, match="f.yaml: parameter 'replacement_rate': expected low < high"):
        parse_assumptions(bad, "f.yaml")
    no_source = dict(good, parameters=dict(good["parameters"], local_retention={
        "distribution": "logitnormal", "central": 0.5, "low": 0.3, "high": 0.8}))
    with pytest.raises(TalentcastError, match="parameter 'local_retention', field 'source'"):
        parse_assumptions(no_source, "f.yaml")


def test_dirichlet_weights_sum_to_one_per_major_and_centre_on_the_table():
    draws = dirichlet_weights(np.array(["a", "a", "b"]), np.array([0.7, 0.3, 1.0]), 20.0, 20000,
                              np.random.default_rng(1))
    np.testing.assert_allclose(draws[:2].sum(axis=0), 1.0)
    np.testing.assert_allclose(draws[2], 1.0)
    assert draws[0].mean() == pytest.approx(0.7, abs=0.01)
    # Dirichlet(20 x 0.7, 20 x 0.3): sd of the first share sqrt(0.7 x 0.3 / 21) = 0.1.
    assert draws[0].std() == pytest.approx(np.sqrt(0.21 / 21), rel=0.05)


def test_assumption_share_is_the_variance_the_assumptions_add():
    rng = np.random.default_rng(2)
    forecast = rng.normal(0, 0.1, 50000)
    central = np.exp(forecast)[None]
    drawn = np.exp(forecast + rng.normal(0, 0.2, 50000))[None]
    assert assumption_share(central, drawn)[0] == pytest.approx(0.04 / 0.05, abs=0.02)


@pytest.fixture(scope="module")
def state():
    return run_pipeline(tiny_tables(), horizon=3, n_paths=400, seed=3, sampler=linear_sampler(0.02)).state


def test_widening_the_ranges_changes_p_shortage(state):
    assumptions = load_assumptions()
    results = {factor: compute_results(dataclasses.replace(state, assumptions=assumptions.widened(factor)))
               for factor in (0.0, 1.0, 3.0)}

    def c36(factor, column):
        gaps = results[factor]["gaps"]
        return gaps.query("region == '450200' and sector == 'C36' and year == 2027")[column].item()

    # C36's ratio is about 0.93 (below the 1.2 shortage bar): with forecast noise only a shortage is unlikely;
    # the assumed ranges make it more likely, and the wider they are, the more.
    assert c36(0.0, "p_shortage") < 0.1
    assert c36(0.0, "assumption_share") == 0.0
    # Measured: 0.05 -> 0.24 -> 0.26.
    assert c36(1.0, "p_shortage") > c36(0.0, "p_shortage") + 0.1
    assert c36(3.0, "p_shortage") > c36(1.0, "p_shortage")
    assert c36(3.0, "assumption_share") > 0.5 > c36(0.0, "assumption_share")
    # The means do not move (mean-one multipliers, Dirichlet centred on the table) - only the spread.
    np.testing.assert_allclose(results[3.0]["demand"]["graduate_openings_mean"],
                               results[0.0]["demand"]["graduate_openings_mean"])
    assert c36(3.0, "supply_mean") == pytest.approx(c36(0.0, "supply_mean"), rel=0.1)
