"""The global model: one scikit-learn regressor trained across all series on scale-free features.

A 7-point yearly series cannot teach a model much on its own; 589 of them together can. Each training row is
(series, forecast origin, horizon k): features are recent log growth rates, their mean / median / spread, the
horizon, the cross-series median growth at the origin, and region / sector encodings (from ``"region|sector"``
ids); the target is the average log growth per period over the next k periods. Forecast = last log value +
k x predicted growth.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from features.series import Panel, global_features, log_diffs, split_series_id
from models.base import GROUP_MIN_SERIES, Forecaster, group_keys
from models.seasonal import deseasonalise, reseasonalise

MIN_HISTORY = 3
MAX_TRAIN_ROWS = 40_000  # a fixed-seed subsample beyond this: accuracy saturates, time does not
TARGET_CLIP = 0.5  # |log growth| per period above this is a data error or break, not a pattern to learn




def group_growth(z: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """(n, 2 x groups) features: per group, the median across its series of the last log growth and of the
    mean log growth over the last three periods, at the last column of `z` (so only data up to it)."""
    diffs = log_diffs(z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        recent = np.column_stack([diffs[:, -1], np.nanmean(diffs[:, -3:], axis=1)]) if z.shape[1] > 1 \
            else np.full((len(z), 2), np.nan)
    out = []
    for key in keys:
        frame = pd.DataFrame(recent, columns=["last", "mean3"])
        grouped = frame.groupby(key)
        counts = grouped["last"].transform("count").to_numpy()
        medians = grouped.transform("median").to_numpy()
        out.append(np.where((counts >= GROUP_MIN_SERIES)[:, None], medians, np.nan))
    return np.hstack(out) if out else np.empty((len(z), 0))


def _codes(values: np.ndarray, categories: tuple[str, ...]) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(categories[:250])}  # HistGradientBoosting allows < 255 categories
    return np.array([lookup.get(v, np.nan) for v in values], dtype=float)


class GlobalRegressor:
    """A fitted cross-series regressor (shared by all partitions of a Dask run).

    Args:
        horizon: largest horizon trained (longer horizons reuse its per-period growth).
        regions / sectors: category lists for the encodings.
        max_origins: most recent forecast origins used per series (bounds the training size of monthly data).
    """

    def __init__(self, horizon: int, regions=(), sectors=(), max_origins: int = 24, seed: int = 0):
        self.horizon = max(int(horizon), 1)
        self.regions = tuple(regions)
        self.sectors = tuple(sectors)
        self.max_origins = max_origins
        self.seed = seed

    def _design(self, z: np.ndarray, ids: np.ndarray, k: int, panel_growth: float,
                groups: np.ndarray) -> np.ndarray:
        region, sector = split_series_id(ids)
        base = global_features(z)
        count = (~np.isnan(z)).sum(axis=1, keepdims=True).astype(float)
        return np.column_stack(
            [
                base,
                groups,
                np.full(len(z), float(k)),
                np.full(len(z), panel_growth),
                np.minimum(count, 30.0),
                _codes(region, self.regions),
                _codes(sector, self.sectors),
            ]
        )

    def fit(self, z: np.ndarray, ids: np.ndarray) -> "GlobalRegressor":
        # Imported here: scikit-learn takes about a second to import, and only runs that fit this model need it.
        from sklearn.ensemble import HistGradientBoostingRegressor

        width = z.shape[1]
        diffs = log_diffs(z)
        rows_x, rows_y = [], []
        first_origin = max(MIN_HISTORY - 1, width - 1 - self.max_origins - self.horizon)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            panel_growth = np.nanmedian(diffs, axis=0)
        keys = group_keys(ids)
        for origin in range(first_origin, width - 1):
            history = z[:, : origin + 1]
            usable = (~np.isnan(history)).sum(axis=1) >= MIN_HISTORY
            if not usable.any():
                continue
            groups = group_growth(history, keys)
            growth_now = float(panel_growth[origin]) if np.isfinite(panel_growth[origin]) else 0.0
            for k in range(1, min(self.horizon, width - 1 - origin) + 1):
                target = (z[:, origin + k] - z[:, origin]) / k
                keep = usable & np.isfinite(target)
                if not keep.any():
                    continue
                rows_x.append(self._design(history[keep], ids[keep], k, growth_now, groups[keep]))
                rows_y.append(np.clip(target[keep], -TARGET_CLIP, TARGET_CLIP))
        if not rows_x:
            raise ValueError("too little history to train the global model")
        x = np.vstack(rows_x)
        y = np.concatenate(rows_y)
        # A feature never observed (e.g. lag 3 with 4-point histories) would break the binning: zero it.
        self.dead_ = np.all(np.isnan(x), axis=0)
        x[:, self.dead_] = 0.0
        if len(y) > MAX_TRAIN_ROWS:
            keep = np.random.default_rng(self.seed).choice(len(y), MAX_TRAIN_ROWS, replace=False)
            x, y = x[np.sort(keep)], y[np.sort(keep)]
        n_features = x.shape[1]
        categorical = np.zeros(n_features, dtype=bool)
        categorical[-2:] = True
        self.model_ = HistGradientBoostingRegressor(
            # The conditional median: MASE scores absolute errors, and data jumps must not pull the fit.
            loss="absolute_error",
            max_iter=100,
            learning_rate=0.08,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            categorical_features=categorical,
            early_stopping=False,
            random_state=self.seed,
        )
        # One OpenMP thread: on a shared 2-core machine more threads spin and run 10x slower.
        with threadpool_limits(1):
            self.model_.fit(x, y)
        self.n_rows_ = len(y)
        # Group statistics at the forecast origin, from the whole panel: a Dask partition that sees only some
        # series looks its groups up here, so both engines give the same numbers.
        final = group_growth(z, keys)
        self.final_groups_ = {tuple(str(key[i]) for key in keys): final[i] for i in range(len(ids))}
        self.n_group_features_ = final.shape[1]
        last_growth = panel_growth[-1] if len(panel_growth) else np.nan
        self.panel_growth_ = float(last_growth) if np.isfinite(last_growth) else 0.0
        return self

    def predict_growth(self, z: np.ndarray, ids: np.ndarray, h: int) -> np.ndarray:
        """(n, h) predicted mean log growth per period over the next k periods, k = 1..h."""
        out = np.empty((len(z), h))
        keys = group_keys(ids)
        missing = np.full(self.n_group_features_, np.nan)
        groups = np.array([self.final_groups_.get(tuple(str(key[i]) for key in keys), missing)
                           for i in range(len(ids))]).reshape(len(ids), self.n_group_features_)
        for k in range(1, h + 1):
            kk = min(k, self.horizon)
            x = self._design(z, ids, kk, self.panel_growth_, groups)
            x[:, self.dead_] = 0.0
            with threadpool_limits(1):
                out[:, k - 1] = self.model_.predict(x)
        return out


def fit_global_regressor(panel: Panel, horizon: int, regions=(), sectors=()) -> GlobalRegressor:
    """Fit the global regressor on the seasonally adjusted log values of the whole panel."""
    adjusted, _ = deseasonalise(panel)
    return GlobalRegressor(horizon, regions, sectors).fit(adjusted, panel.ids)


class GlobalModel(Forecaster):
    """Cross-series gradient boosting on growth features (uses the context's regressor when given)."""

    name = "global"
    min_length = MIN_HISTORY
    seasonal = True
    fallback = "rdrift"

    def _fit(self, panel: Panel) -> None:
        adjusted, self.indices_ = deseasonalise(panel)
        ctx = self.context_
        regressor = ctx.global_regressor
        self.whole_fallback_ = None
        if regressor is None or regressor.horizon < ctx.horizon:
            try:
                regressor = GlobalRegressor(ctx.horizon, ctx.regions, ctx.sectors).fit(adjusted, panel.ids)
            except ValueError as exc:
                # Too little history across the whole panel: every series goes to the fallback.
                self.whole_fallback_ = self.make(self.fallback).fit(panel, ctx)
                self.fallbacks_.extend(
                    {"series_id": sid, "requested": self.name, "used": self.fallback, "error": str(exc)}
                    for sid in panel.ids
                )
                return
        self.regressor_ = regressor
        self.adjusted_ = adjusted
        self.ids_ = panel.ids

    def _predict_log(self, h: int) -> np.ndarray:
        if self.whole_fallback_ is not None:
            return self.whole_fallback_.predict_log(h)
        growth = self.regressor_.predict_growth(self.adjusted_, self.ids_, h)
        point = self.adjusted_[:, -1][:, None] + growth * np.arange(1, h + 1)[None, :]
        return reseasonalise(point, self.indices_)
