"""A warnings backtest that can fail: score each signal on the cohort the plan actually affects (受影响届次).

A plan for admission year Y changes the class that graduates in Y + d (d = programme length). The truth of a
warning about plan year Y is therefore that cohort's outcome - not the classes already enrolled (graduating Y
and Y + 1), which no plan can change any more:

    bad(school, major, Y) = outcome rate of the class graduating Y + d < bad_below

Every signal is a score per (school, major, Y), known before Y; higher = more likely bad. Scored:

* AUC (probability that a bad class outranks a good one; 0.5 = no skill),
* Brier score of scores that are probabilities (1 - last rate, a rule's P(surplus) ...),
* precision among the top-ranked flags (the k classes with the highest score, k = share_top x classes),
* lead time: years from the plan to the outcome it is judged on (d),
* 90% confidence intervals by a bootstrap that resamples plan years (outcomes of one year share a market, so
  classes of one year are not independent: clustered by year), and
* a paired comparison with a baseline: the AUC difference on the same classes and resampled years, with its
  interval (a rule set leaves the watch list only when this interval against the last rate is above 0).

`fit_pressure_weight` fits the weight of the forecast pressure in the `p_bad_outcome` indicator on classes
already judged (the caller passes only those whose outcome was known before the plan year it scores).

Baselines a planner has without any model: the last known rate, the mean of the last three, and each policy
rule set's level. Pure functions over DataFrames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from early_warning.indicators import employment_rates, logit
from features.errors import TalentcastError


def affected_cohort_truth(enrolment: pd.DataFrame, majors: pd.DataFrame, plan_years: list[int],
                          measure: str = "employed", bad_below: float = 0.6) -> pd.DataFrame:
    """Classes of each plan year with the outcome of the cohort the plan affects and what was known before.

    Returns:
        school, major, plan_year, outcome_year (Y + d), lead (d), outcome_rate, bad (bool), last_rate and
        mean3_rate (rates of graduating years < Y). Classes without an affected-cohort outcome are dropped.
    """
    frame = enrolment.assign(school=enrolment["school"].astype(str), major=enrolment["major"].astype(str),
                             year=enrolment["year"].astype(int))
    frame["rate"] = employment_rates(frame, measure).to_numpy()
    duration = majors.assign(code=majors["code"].astype(str)).set_index("code")["duration_years"]
    frame["lead"] = frame["major"].map(pd.to_numeric(duration, errors="coerce")).fillna(3).astype(int)
    rates = frame.dropna(subset=["rate"]).set_index(["school", "major", "year"])["rate"]
    rows = []
    for (school, major), group in frame.groupby(["school", "major"], sort=True):
        lead = int(group["lead"].iloc[0])
        history = group.dropna(subset=["rate"]).sort_values("year")
        for year in plan_years:
            outcome = rates.get((school, major, year + lead))
            admitted = group[group["year"] == year]
            known = history[history["year"] < year]["rate"].to_numpy()
            if outcome is None or admitted.empty or not len(known):
                continue
            rows.append({"school": school, "major": major, "plan_year": int(year), "outcome_year": year + lead,
                         "lead": lead, "outcome_rate": float(outcome), "bad": bool(outcome < bad_below),
                         "last_rate": float(known[-1]), "mean3_rate": float(known[-3:].mean())})
    if not rows:
        raise TalentcastError(f"no class of plan years {plan_years} has an affected-cohort outcome yet",
                              f"计划年份 {plan_years} 中还没有受影响届次的就业结果")
    return pd.DataFrame(rows)


def auc(score: np.ndarray, truth: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count half); NaN without both classes."""
    score, truth = np.asarray(score, float), np.asarray(truth, bool)
    pos, neg = score[truth], score[~truth]
    if not len(pos) or not len(neg):
        return float("nan")
    ranks = pd.Series(np.concatenate([pos, neg])).rank().to_numpy()
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def brier(probability: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((np.asarray(probability, float) - np.asarray(truth, float)) ** 2))


def top_precision(score: np.ndarray, truth: np.ndarray, share_top: float = 0.1) -> float:
    """Share of bad classes among the top `share_top` of classes by score (ties broken by order)."""
    k = max(1, int(round(share_top * len(score))))
    order = np.argsort(-np.asarray(score, float), kind="mergesort")[:k]
    return float(np.asarray(truth, bool)[order].mean())


def score_signals(frame: pd.DataFrame, signals: dict[str, str], probabilities: set[str] | None = None,
                  share_top: float = 0.1, n_boot: int = 1000, seed: int = 0,
                  baseline: str | None = None) -> pd.DataFrame:
    """AUC, Brier, top-k precision and lead of each signal column, with CIs clustered by plan year.

    Args:
        frame: one row per class and plan year with `bad`, `plan_year`, `lead` and the signal columns.
        signals: label -> column (higher = more likely bad).
        probabilities: labels whose column is a probability of a bad outcome (Brier is reported for them).
        baseline: label of one of `signals`; each signal's AUC minus the baseline's is then reported with its
            interval from the same resamples (a paired comparison: both are scored on the same classes, those
            where both are known, so the year-to-year luck they share cancels).

    Returns:
        One row per signal: auc, auc_lo, auc_hi, brier, brier_lo, brier_hi, top_precision (+ lo/hi),
        base_rate, classes, bad, years, lead_years; with a baseline also auc_diff, auc_diff_lo, auc_diff_hi.
    """
    probabilities = probabilities or set()
    rng = np.random.default_rng(seed)
    years = np.array(sorted(frame["plan_year"].unique()))
    by_year = {y: np.flatnonzero(frame["plan_year"].to_numpy() == y) for y in years}
    samples = [np.concatenate([by_year[y] for y in rng.choice(years, len(years))]) for _ in range(n_boot)]
    truth = frame["bad"].to_numpy(bool)
    rows = []
    for label, column in signals.items():
        score = frame[column].to_numpy(float)
        ok = np.isfinite(score)
        stats = {"auc": lambda s, t: auc(s, t), "top_precision": lambda s, t: top_precision(s, t, share_top)}
        if label in probabilities:
            stats["brier"] = brier
        row = {"signal": label, "classes": int(ok.sum()), "bad": int(truth[ok].sum()),
               "base_rate": float(truth[ok].mean()), "years": len(years),
               "lead_years": float(frame["lead"][ok].mean())}
        for name, fn in stats.items():
            row[name] = fn(score[ok], truth[ok])
            boot = [fn(score[i][ok[i]], truth[i][ok[i]]) for i in samples]
            boot = np.array([b for b in boot if np.isfinite(b)])
            row[f"{name}_lo"], row[f"{name}_hi"] = (np.percentile(boot, [5, 95]) if len(boot) else (np.nan,) * 2)
        if baseline is not None:
            base = frame[signals[baseline]].to_numpy(float)
            both = ok & np.isfinite(base)

            def diff(i: np.ndarray) -> float:
                keep = i[both[i]]
                return auc(score[keep], truth[keep]) - auc(base[keep], truth[keep])

            row["auc_diff"] = diff(np.arange(len(frame)))
            boot = np.array([d for d in (diff(i) for i in samples) if np.isfinite(d)])
            row["auc_diff_lo"], row["auc_diff_hi"] = (np.percentile(boot, [5, 95]) if len(boot) else (np.nan,) * 2)
        rows.append(row)
    return pd.DataFrame(rows)


def fit_pressure_weight(level: np.ndarray, net_surplus: np.ndarray, sd: np.ndarray, bad: np.ndarray,
                        bad_below: float = 0.6, max_weight: float = 10.0) -> float:
    """The weight of the forecast pressure in p_bad_outcome, by maximum likelihood on classes already judged.

    P(bad) = Phi((logit(bad_below) - level + w x net_surplus) / sd) (early_warning.indicators.p_bad_outcome),
    with the history level and spread fixed: only w is fitted, within [0, max_weight] (a surplus cannot make
    good outcomes more likely; a fitted 0 means the pressure added nothing the history did not know).

    Args:
        level, net_surplus, sd: per class, as the indicator computed them at planning time.
        bad: the affected cohort's outcome (only classes whose outcome was known before the plan year being
            scored may be passed: the caller keeps the fit free of look-ahead).
    """
    level, net, sd = (np.asarray(a, dtype=float) for a in (level, net_surplus, sd))
    bad = np.asarray(bad, dtype=bool)
    keep = np.isfinite(level) & np.isfinite(net) & np.isfinite(sd) & (sd > 0)
    if keep.sum() < 2 or bad[keep].all() or not bad[keep].any():
        return 0.0
    level, net, sd, bad = level[keep], net[keep], sd[keep], bad[keep]

    def negative_log_likelihood(weight: float) -> float:
        p = np.clip(norm.cdf((float(logit(bad_below)) - level + weight * net) / sd), 1e-9, 1 - 1e-9)
        return -float(np.sum(np.where(bad, np.log(p), np.log1p(-p))))

    return float(minimize_scalar(negative_log_likelihood, bounds=(0.0, max_weight), method="bounded",
                                 options={"xatol": 1e-4}).x)
