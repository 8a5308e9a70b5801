"""Model selection for ``auto``: per panel, per group or per series, from backtest MASE.

Short series give one or two backtest errors each: choosing per series from so little picks noise. So the
choice is made where the evidence is: per series only when each has at least ``SERIES_MIN_ERRORS`` scored
errors (and then only when its own winner beats the group's choice by 10%), per group (the sector part of
``region|sector`` ids) when groups have at least ``GROUP_MIN_SERIES`` series, else for the whole panel; and not
at all (naive) when the panel has fewer than ``GROUP_MIN_SERIES`` series with fewer than ``SERIES_MIN_ERRORS``
errors each (:func:`thin_evidence`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.series import split_series_id

SERIES_MIN_ERRORS = 12
GROUP_MIN_SERIES = 10
MASE_CAP = 5.0  # one series with a near-zero naive scale must not decide for all
SWITCH_MARGIN = 0.9  # a group's or a series' own winner must beat the wider choice by 10% to replace it
# When nothing can be backtested: naive. Measured without look-ahead on the NBS panel at the 2013 cutoff (no
# scored inner cutoff), the former default rdrift was 2% worse than naive one year ahead.
DEFAULT_MODEL = "naive"
# A model replaces the reference (naive, or the combination hedge when there is one) only when its backtest MASE
# is this much lower: with one or two cutoffs a smaller lead is within the noise of one year's shocks (issue
# #11: "fallback to naive when nothing beats it reliably").
NAIVE_MARGIN = 0.97


def thin_evidence(scores: pd.DataFrame) -> bool:
    """Too little backtest evidence to choose any model over naive: fewer than GROUP_MIN_SERIES scored series,
    with fewer than SERIES_MIN_ERRORS errors each (median).

    One short yearly series gives about seven errors from three inner cutoffs, all shaped by the same three
    years. Choosing among nine candidates on that picks noise: measured on 57 city series forecast one at a
    time (`benchmarks/forecast_accuracy.py --panels city --sample 3 --one-at-a-time`, cutoffs 2010-2013),
    `auto` was 4.8% worse than naive one year ahead (1.048 [1.011, 1.125]) and 4.2 / 3.4% worse at h = 2 / 3;
    with naive on thin evidence it is naive (1.000), and with the combination 0.986 / 1.021 / 1.016. A single
    monthly series has 36 errors (twelve horizons) and keeps the choice: there damped trends beat naive by 35%.
    """
    if scores.empty:
        return False
    errors = _errors_per_series(scores)
    return len(errors) < GROUP_MIN_SERIES and float(errors.median()) < SERIES_MIN_ERRORS


def _errors_per_series(scores: pd.DataFrame) -> pd.Series:
    """Scored backtest errors of each series (its best-covered model's count)."""
    return scores.groupby("series_id")["n"].max()


def _best(scores: pd.DataFrame, reference: str = "naive") -> tuple[str, pd.Series]:
    """The model with the lowest mean capped MASE, unless it fails to beat the reference by NAIVE_MARGIN."""
    table = scores.assign(mase=scores["mase"].clip(upper=MASE_CAP)).groupby("model")["mase"].mean()
    table = table.sort_values(kind="stable")
    best = str(table.index[0])
    if reference not in table.index:
        reference = "naive"
    if reference in table.index and best != reference and not table.iloc[0] < NAIVE_MARGIN * table[reference]:
        best = reference
    return best, table


def choose_level(scores: pd.DataFrame, ids: np.ndarray, level: str = "auto") -> str:
    """Resolve ``level="auto"`` to "series", "group" or "panel" from the amount of evidence."""
    if level != "auto":
        return level
    if scores.empty:
        return "panel"
    errors = _errors_per_series(scores)
    if len(errors) and errors.median() >= SERIES_MIN_ERRORS:
        return "series"
    _, sector = split_series_id(ids)
    sizes = pd.Series(sector).value_counts()
    if (sector != "").all() and len(sizes) > 1 and sizes.min() >= GROUP_MIN_SERIES:
        return "group"
    return "panel"


def select_models(scores: pd.DataFrame, ids: np.ndarray, level: str = "auto",
                  hedge: str | None = None) -> pd.DataFrame:
    """Pick a model per series.

    Args:
        scores: per series x model metrics with columns series_id, model, mase, n (from
            :func:`forecasting.metrics.evaluate` on the engine's inner backtest).
        ids: all series ids to cover (series without scores get their group's / the panel's choice).
        level: "auto", "panel", "group" or "series".
        hedge: a combination of naive with other models (``forecasting.combination``), or None. It takes
            naive's place as the reference: the default when nothing can be backtested, and the choice in a
            panel or group unless another model (naive included) beats it by NAIVE_MARGIN there. The margin
            guards against a model that won the backtest by noise; a combination that keeps naive as a member
            is a hedge against exactly that. Measured without look-ahead (docs/forecasting.md, "Accuracy
            without look-ahead (#11)"): city panel h = 1 / 2 0.988 / 0.968 -> 0.977 / 0.960 x naive, provinces 1.024 /
            1.013 -> 0.975 / 0.956 x the best statsforecast model.

    Returns:
        DataFrame ``series_id, model, reason``.
    """
    level = choose_level(scores, ids, level)
    if scores.empty:
        if hedge is not None:
            return pd.DataFrame({"series_id": ids, "model": hedge,
                                 "reason": f"too short to backtest; {hedge} with equal weights (the default)"})
        return pd.DataFrame({"series_id": ids, "model": DEFAULT_MODEL,
                             "reason": "too short to backtest; naive (last value, the default)"})
    if thin_evidence(scores):
        return pd.DataFrame({"series_id": ids, "model": DEFAULT_MODEL,
                             "reason": f"too little backtest evidence to beat naive reliably "
                                       f"({scores['series_id'].nunique()} series, at most "
                                       f"{int(scores['n'].max())} errors each); naive (last value)"})
    reference = hedge or "naive"
    panel_best, panel_table = _best(scores, reference)
    chosen = pd.Series(panel_best, index=pd.Index(ids, name="series_id"), dtype=object)
    others = [m for m in panel_table.index if m != panel_best]
    runner = others[0] if others else panel_best
    reason = pd.Series(
        f"best mean MASE over {scores['series_id'].nunique()} series ({panel_best} "
        f"{panel_table[panel_best]:.3f} vs {runner} {panel_table.get(runner, np.nan):.3f})",
        index=chosen.index, dtype=object,
    )
    if level in ("group", "series"):
        _, sector = split_series_id(np.asarray(ids))
        group_of = pd.Series(sector, index=chosen.index)
        scored_group = scores["series_id"].map(group_of)
        for group, part in scores.groupby(scored_group):
            best, table = _best(part, reference)
            members = group_of.index[group_of == group]
            # A group leaves the panel's choice only when its own winner is clearly better there: groups are
            # small, and a group winner by a hair is mostly that group's noise.
            if best != panel_best and panel_best in table.index and not table[best] < SWITCH_MARGIN * table[panel_best]:
                continue
            chosen[members] = best
            reason[members] = (f"best mean MASE in group {group} over {part['series_id'].nunique()} series "
                               f"({best} {table[best]:.3f}, panel choice {panel_best} "
                               f"{table.get(panel_best, np.nan):.3f})")
    if level == "series":
        pivot = scores.pivot_table(index="series_id", columns="model", values="mase", aggfunc="mean")
        own_best = pivot.idxmin(axis=1)
        own_value = pivot.min(axis=1)
        current = chosen.reindex(pivot.index)
        current_value = pd.Series([pivot.at[s, m] if m in pivot.columns else np.nan
                                   for s, m in current.items()], index=pivot.index)
        switch = own_value < SWITCH_MARGIN * current_value
        for sid in pivot.index[switch.to_numpy()]:
            chosen[sid] = own_best[sid]
            reason[sid] = (f"own backtest: {own_best[sid]} MASE {own_value[sid]:.3f} beats "
                           f"{current[sid]} {current_value[sid]:.3f} by more than 10%")
    unscored = ~chosen.index.isin(scores["series_id"].unique())
    reason[unscored] = "too short to backtest; " + reason[unscored].str.replace("best", "group/panel best", n=1)
    return pd.DataFrame({"series_id": chosen.index, "model": chosen.to_numpy(), "reason": reason.to_numpy()})
