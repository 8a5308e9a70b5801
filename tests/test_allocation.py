"""Joint allocation across schools: shared cuts, expansions within unmet openings, minimum class size.

Hand-made proposals with known answers, then hypothesis properties on random inputs (sum within the gap,
never negative, minimum class size, bounded change, deterministic).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from early_warning import compute_warnings
from early_warning.allocation import MIN_CLASS_RULE, allocate, share_cut
from test_rules import PLAN_YEAR, make_results, make_tables

TARGET = 2028
WEIGHTS = pd.DataFrame({"major": ["A", "B", "B", "C", "D", "D"], "sector": ["C36", "C36", "I65", "E", "C36", "I65"],
                        "weight": [1.0, 0.5, 0.5, 1.0, 0.3, 0.7]})


def proposal(school, major, current, proposed, action, level=None, shared=False, yield_per_place=0.5):
    level = level or {"expand": "green", "hold": "green", "shrink": "yellow", "suspend": "red"}[action]
    return {"region": "450200", "school": school, "major": major, "target_year": TARGET,
            "current_intake": current, "proposed_intake": proposed, "level": level, "action": action,
            "shared_cut": shared, "rules_fired": ["r"], "yield_per_place": yield_per_place,
            "adjustment_type": "percent"}


def gaps(**by_sector):
    return pd.DataFrame([{"region": "450200", "sector": s, "year": TARGET, "gap_mean": g}
                         for s, g in by_sector.items()])


def test_share_cut_is_proportional_and_respects_caps():
    assert share_cut(15, [60, 15], [20, 10]) == [12, 3]
    # The second school can take only 2; the rest goes to the first.
    assert share_cut(12, [1, 1], [20, 2]) == [10, 2]
    assert share_cut(50, [1, 1], [20, 10]) == [20, 10]  # more than the caps allow
    assert share_cut(5, [0, 0], [10, 10]) == [3, 2]  # no contribution known: equal shares, ties to the first


@given(st.lists(st.tuples(st.floats(0, 100), st.integers(0, 40)), min_size=1, max_size=8), st.integers(0, 200))
def test_share_cut_properties(items, total):
    contributions, caps = [c for c, _ in items], [k for _, k in items]
    cuts = share_cut(total, contributions, caps)
    assert sum(cuts) == min(total, sum(caps))
    assert all(0 <= c <= k for c, k in zip(cuts, caps))
    assert cuts == share_cut(total, contributions, caps)


def test_expansions_scaled_to_the_sector_gap():
    props = pd.DataFrame([proposal("S1", "A", 50, 60, "expand"), proposal("S2", "A", 50, 60, "expand")])
    out = allocate(props, WEIGHTS, gaps(C36=5.0), min_class_size=20, max_change=0.2)
    # Requested 2 x 10 places x 0.5 entrants = 10 entrants for 5 unmet openings: each request halves.
    assert out["recommended_intake"].tolist() == [55, 55]
    assert out["allocation_note"].tolist() == ["expansion-capped", "expansion-capped"]
    assert sum(sum(d.values()) for d in out["extra_entrants"]) == pytest.approx(5.0)


def test_extra_graduates_go_to_sectors_with_openings_and_mostly_surplus_majors_are_blocked():
    props = pd.DataFrame([proposal("S1", "A", 50, 60, "expand"), proposal("S1", "B", 50, 60, "expand"),
                          proposal("S1", "D", 50, 60, "expand")])
    out = allocate(props, WEIGHTS, gaps(C36=100.0, I65=-3.0), min_class_size=20, max_change=0.2)
    a, b, d = out.iloc[0], out.iloc[1], out.iloc[2]
    assert (a["recommended_intake"], a["action"], a["allocation_note"]) == (60, "expand", "")
    # B sends half its graduates to C36 (openings) and half to I65 (surplus): its extra graduates are counted
    # in C36 only, none is added to the surplus.
    assert (b["recommended_intake"], b["action"]) == (60, "expand")
    assert b["extra_entrants"] == {"C36": 5.0}
    # D sends only 30% to a sector with openings (< 50%): no expansion.
    assert (d["recommended_intake"], d["action"], d["allocation_note"]) == (50, "hold", "expansion-blocked")


def test_expansion_blocked_without_a_forecast_gap_or_mapping():
    props = pd.DataFrame([proposal("S1", "C", 50, 60, "expand"), proposal("S1", "Z", 50, 60, "expand")])
    out = allocate(props, WEIGHTS, gaps(C36=100.0), min_class_size=20, max_change=0.2)
    assert out["recommended_intake"].tolist() == [50, 50]
    assert out["allocation_note"].tolist() == ["expansion-blocked", "expansion-blocked"]


def test_surplus_cut_shared_by_contribution():
    props = pd.DataFrame([proposal("S1", "A", 100, 90, "shrink", shared=True, yield_per_place=0.6),
                          proposal("S2", "A", 50, 45, "shrink", shared=True, yield_per_place=0.3)])
    out = allocate(props, WEIGHTS, gaps(C36=-40.0), min_class_size=20, max_change=0.2)
    # Region cut 15; contributions 100 x 0.6 = 60 and 50 x 0.3 = 15 -> 12 and 3.
    assert out["recommended_intake"].tolist() == [88, 47]
    assert out["allocation_note"].tolist() == ["shared-cut", "shared-cut"]


def test_minimum_class_size_raise_or_suspend():
    props = pd.DataFrame([
        proposal("S1", "A", 22, 18, "shrink"),     # the cut would break the class: shortened to 20
        proposal("S2", "A", 15, 15, "hold"),       # 15 -> 20 is +33% > max_change: suspended
        proposal("S3", "A", 17, 17, "hold"),       # 17 -> 20 within +20% and C36 has room: raised
        proposal("S4", "C", 17, 17, "hold"),       # E has no room: suspended
        proposal("S5", "A", 19, 15, "shrink"),     # a shrinking class below the minimum: suspended
    ])
    out = allocate(props, WEIGHTS, gaps(C36=50.0, E=-5.0), min_class_size=20, max_change=0.2).set_index("school")
    assert out["recommended_intake"].to_dict() == {"S1": 20, "S2": 0, "S3": 20, "S4": 0, "S5": 0}
    assert out.loc["S1", "action"] == "shrink" and out.loc["S3", "action"] == "hold"
    for school in ("S2", "S4", "S5"):
        assert out.loc[school, "action"] == "suspend" and out.loc[school, "level"] == "red"
        assert out.loc[school, "rules_fired"][-1] == MIN_CLASS_RULE
    assert out.loc["S3", "allocation_note"] == "min-class-raised"


def _independent_extra_entrants(out: pd.DataFrame, sector_gaps: dict[str, float]) -> dict[str, float]:
    """Extra entrants per sector, recomputed from the plan: a major's extra graduates go to its sectors with
    openings (weights renormalised over them); a major with < 50% weight there must not have grown."""
    totals: dict[str, float] = {}
    for _, r in out.iterrows():
        gain = r["recommended_intake"] - r["current_intake"]
        if gain <= 0:
            continue
        links = WEIGHTS[WEIGHTS["major"] == r["major"]]
        open_links = links[links["sector"].map(lambda s: sector_gaps[s] > 0)]
        assert open_links["weight"].sum() >= 0.5 * links["weight"].sum() - 1e-9, r.to_dict()
        for _, w in open_links.iterrows():
            share = w["weight"] / open_links["weight"].sum()
            totals[w["sector"]] = totals.get(w["sector"], 0.0) + gain * r["yield_per_place"] * share
    return totals


@st.composite
def proposals_and_gaps(draw):
    n = draw(st.integers(1, 10))
    max_change = draw(st.sampled_from([0.1, 0.2, 0.3, 1.0]))
    rows = []
    for i in range(n):
        current = draw(st.integers(0, 150))
        action = draw(st.sampled_from(["expand", "hold", "shrink", "suspend"]))
        if action == "expand":
            proposed = math.floor(current * (1 + max_change))
        elif action == "shrink":
            proposed = math.ceil(current * (1 - draw(st.floats(0.01, max_change))))
        elif action == "suspend":
            proposed = 0
        else:
            proposed = current
        rows.append(proposal(f"S{i:02d}", "A", current, proposed, action,
                             shared=action == "shrink" and draw(st.booleans()),
                             yield_per_place=draw(st.floats(0.0, 1.0))))
        rows[-1]["major"] = draw(st.sampled_from(["A", "B", "C", "D"]))
    sector_gaps = {s: draw(st.floats(-50, 80)) for s in ("C36", "I65", "E")}
    return pd.DataFrame(rows), sector_gaps, max_change, draw(st.sampled_from([0, 10, 20]))


@settings(max_examples=40, deadline=None)
@given(proposals_and_gaps())
def test_allocation_invariants(case):
    props, sector_gaps, max_change, min_class = case
    out = allocate(props, WEIGHTS, gaps(**sector_gaps), min_class_size=min_class, max_change=max_change)
    rec, cur = out["recommended_intake"], out["current_intake"]
    assert (rec >= 0).all() and rec.map(lambda v: isinstance(v, int) or float(v).is_integer()).all()
    # A class is either suspended or at least the minimum viable size.
    assert ((rec == 0) | (rec >= min_class)).all()
    # Bounded change unless suspended.
    assert ((rec == 0) | ((rec - cur).abs() <= max_change * cur + 1e-9)).all()
    # Extra entrants into each sector never exceed its unmet openings.
    for sector, extra in _independent_extra_entrants(out, sector_gaps).items():
        assert extra <= max(sector_gaps[sector], 0.0) + 1e-6, (sector, extra, sector_gaps[sector])
    # Expansions only where the rules asked for one or to keep a class viable.
    grew = out[rec > cur]
    assert grew["action"].isin(["expand", "hold"]).all()
    # Same inputs in another order -> the same plan.
    shuffled = allocate(props.sample(frac=1.0, random_state=1), WEIGHTS, gaps(**sector_gaps),
                        min_class_size=min_class, max_change=max_change)
    pd.testing.assert_frame_equal(out.drop(columns=["extra_entrants"]),
                                  shuffled.drop(columns=["extra_entrants"]))


@settings(max_examples=25, deadline=None)
@given(proposals_and_gaps())
def test_shared_cut_totals_are_kept(case):
    props, sector_gaps, max_change, _ = case
    out = allocate(props, WEIGHTS, gaps(**sector_gaps), min_class_size=0, max_change=max_change)
    shared = props[props["shared_cut"]]
    for major, group in shared.groupby("major"):
        after = out[out["shared_cut"] & (out["major"] == major)]
        assert (group["current_intake"] - group["proposed_intake"]).sum() == \
            (after["current_intake"] - after["recommended_intake"]).sum()


def test_region_recommendations_add_up_end_to_end():
    classes = [{"school": f"S{i}", "major": "460701", "rates": [0.92, 0.93, 0.95], "intake": 60} for i in range(4)]
    tables = make_tables(classes)
    results = make_results({"460701": (0.9, 0.0)}, gaps={"C36": 12.0})
    out = compute_warnings(tables, results, PLAN_YEAR, "forecast", min_class_size=20)
    extra = sum((r["recommended_intake"] - r["current_intake"]) * r["evidence"]["yield_per_place"]
                for _, r in out.iterrows())
    assert 0 < extra <= 12.0 + 1e-6
    # Independent flags would have added 4 x 12 = 48 places; the region's gap allows far fewer.
    assert (out["recommended_intake"] - out["current_intake"]).sum() < 48
    assert (out["action"] == "expand").all()
    assert all("未满足岗位缺口" in z for z in out["explanation_zh"])
    # Deterministic: the same call gives the same frame.
    again = compute_warnings(tables, results, PLAN_YEAR, "forecast", min_class_size=20)
    pd.testing.assert_frame_equal(out, again)


@st.composite
def random_city(draw):
    majors = ["460701", "510201", "440301", "470101"]
    classes = []
    for i in range(draw(st.integers(1, 6))):
        n = draw(st.integers(1, 5))
        rates = draw(st.lists(st.one_of(st.none(), st.floats(0.0, 1.0)), min_size=n, max_size=n))
        intakes = draw(st.lists(st.integers(0, 120), min_size=n, max_size=n))
        intakes[-1] = max(intakes[-1], 1)  # currently offered
        classes.append({"school": f"S{i}", "major": draw(st.sampled_from(majors)), "rates": rates,
                        "intake": intakes, "local": draw(st.floats(0.0, 1.0))})
    # One class per school x major.
    seen, unique = set(), []
    for c in classes:
        if (c["school"], c["major"]) not in seen:
            seen.add((c["school"], c["major"]))
            unique.append(c)
    pressure = {m: (draw(st.floats(0, 1)), draw(st.floats(0, 1))) for m in majors}
    gaps = {s: draw(st.floats(-100, 100)) for s in ("C36", "I65", "E", "C38")}
    return unique, pressure, gaps, draw(st.sampled_from(["forecast", "moe-2011", "sichuan", "tianjin-2009"]))


@settings(max_examples=15, deadline=None)
@given(random_city())
def test_warnings_end_to_end_invariants(city):
    classes, pressure, sector_gaps, rule_set = city
    out = compute_warnings(make_tables(classes), make_results(pressure, gaps=sector_gaps), PLAN_YEAR, rule_set)
    assert len(out) == len(classes)
    rec, cur = out["recommended_intake"], out["current_intake"]
    assert (rec >= 0).all() and ((rec == 0) | (rec >= 20)).all()
    # Colours agree with actions.
    assert not ((out["level"] == "green") & out["action"].isin(["shrink", "suspend"])).any()
    assert not ((out["level"] == "red") & (out["action"] == "expand")).any()
    assert (out.loc[(rec == 0) & (cur > 0), "action"] == "suspend").all()
    assert (rec[out["action"] == "suspend"] == 0).all()
    assert ((out["action"] != "expand") | (rec > cur)).all()
    # Explanations exist in both languages and quote the recommendation.
    for _, w in out.iterrows():
        assert f"{w['recommended_intake']}人" in w["explanation_zh"]
        assert f"recommended {w['recommended_intake']}" in w["explanation_en"]
