"""The one forecaster interface.

Every model works on a :class:`features.series.Panel` (many series at once, log scale) so that simple models
run vectorised over thousands of series, while per-series models (statsmodels ETS / ARIMA) loop inside.

    model = make_model("damped").fit(panel)          # fit(history) -> self (models.registry)
    frame = model.predict(h=3, levels=(80, 95))      # series_id, step, period, mean, lo_80, hi_80, ...

Point forecasts live on the log scale (``predict_log``), so back-transformed forecasts and intervals can never
be negative. A series a model cannot handle (too short, or the fit raised) is forecast by the model's
fallback and recorded in ``fallbacks_``; one bad series never fails the batch.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from features.series import Panel, log_diffs, split_series_id
from models.seasonal import deseasonalise

GROUP_MIN_SERIES = 3  # a group statistic of fewer series is mostly one series' noise: left missing

# Builds a new, unfitted model by registry name (``models.registry.make_model``). Models get it from whoever
# builds them, so that the model classes never import the registry (the registry imports them).
ModelFactory = Callable[[str], "Forecaster"]


@dataclass
class Context:
    """Cross-series facts a model may use, computed once on the whole panel (and shared with workers).

    Attributes:
        horizon: the longest horizon that will be asked (the global model trains for it).
        median_growth: robust cross-series median of per-period log growth (the shrinkage target).
        growth_spread: cross-series spread (MAD) of per-series growth, used to size the shrinkage.
        regions / sectors: category lists for the global model's encodings.
        global_regressor: a fitted global model (``models.global_model``) or None (fit on demand).
    """

    horizon: int = 1
    median_growth: float = 0.0
    growth_spread: float = 0.02
    regions: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    global_regressor: object | None = None
    extras: dict = field(default_factory=dict)


def series_growth(log_values: np.ndarray) -> np.ndarray:
    """Robust per-series growth: the median of the period-on-period log differences (NaN if < 2 points)."""
    diffs = log_diffs(log_values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return np.nanmedian(diffs, axis=1) if diffs.shape[1] else np.full(len(diffs), np.nan)


def group_keys(ids: np.ndarray) -> list[np.ndarray]:
    """Grouping keys of ``region|sector`` ids: the sector (national), province + sector, and the region.

    The province is the first two digits of a six-digit administrative code (450200 Liuzhou -> 45 Guangxi),
    so a city series is grouped with the same sector in the other cities of its province.
    """
    region, sector = split_series_id(ids)
    region = region.astype(str)
    province = np.array([r[:2] if len(r) == 6 and r.isdigit() else r for r in region], dtype=object)
    return [sector.astype(str), np.char.add(np.char.add(province.astype(str), "|"), sector.astype(str)),
            region]


def group_targets(ids: np.ndarray, growth: np.ndarray, noise: np.ndarray) -> dict:
    """Empirical-Bayes shrinkage targets of per-series growth (issue #11, "shrinkage toward its group").

    The target of a series is the median growth of its province x sector group (at least GROUP_MIN_SERIES
    series), else of its sector, else of the panel. The prior spread tau^2 of true growth around the target is
    the robust variance of (own growth - target) minus the median noise variance of the own estimates, so the
    weight a series keeps, tau^2 / (tau^2 + noise_i), is learnt from the panel itself (at each cutoff: only
    data before it). Returned as lookup tables by group key, so that a Dask partition finds the whole panel's.
    """
    finite = np.isfinite(growth)
    panel_median = float(np.median(growth[finite])) if finite.any() else 0.0
    sector, province_sector, _ = group_keys(ids)
    tables = {}
    for name, key in (("sector", sector), ("province_sector", province_sector)):
        frame = pd.DataFrame({"key": key[finite], "growth": growth[finite]}).groupby("key")["growth"]
        stats = frame.agg(["median", "count"])
        tables[name] = stats.loc[stats["count"] >= GROUP_MIN_SERIES, "median"].to_dict()
    target = shrink_target(tables, panel_median, ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        deviation = growth - target
        ok = finite & np.isfinite(noise)
        spread = 1.4826 * np.median(np.abs(deviation[ok] - np.median(deviation[ok]))) if ok.sum() > 2 else 0.0
        tau2 = max(spread**2 - float(np.median(noise[ok])) if ok.any() else 0.0, 1e-6)
    return {"tables": tables, "panel": panel_median, "tau2": tau2}


def shrink_target(tables: dict, panel_median: float, ids: np.ndarray) -> np.ndarray:
    """Per-series shrinkage target from :func:`group_targets`' tables: province x sector, sector, panel."""
    sector, province_sector, _ = group_keys(ids)
    out = np.full(len(ids), panel_median)
    by_sector = pd.Series(sector).map(tables["sector"]).to_numpy(dtype=float)
    by_ps = pd.Series(province_sector).map(tables["province_sector"]).to_numpy(dtype=float)
    out = np.where(np.isfinite(by_sector), by_sector, out)
    return np.where(np.isfinite(by_ps), by_ps, out)


def growth_noise(log_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-series median log growth and the variance of that estimate (robust spread^2 / number of growths)."""
    diffs = log_diffs(log_values)
    count = np.sum(~np.isnan(diffs), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        growth = np.nanmedian(diffs, axis=1) if diffs.shape[1] else np.full(len(diffs), np.nan)
        spread = 1.4826 * np.nanmedian(np.abs(diffs - growth[:, None]), axis=1)
    # The median's sampling variance is about (pi / 2) sigma^2 / n; a floor keeps 2-point series from weight 1.
    noise = np.where(count > 0, (np.pi / 2) * np.maximum(spread, 0.01) ** 2 / np.maximum(count, 1), np.nan)
    return growth, noise


def make_context(panel: Panel, horizon: int) -> Context:
    """Cross-series statistics of `panel` (the model-independent part of the shared state)."""
    adjusted, _ = deseasonalise(panel)
    growth = series_growth(adjusted)
    finite = growth[np.isfinite(growth)]
    median = float(np.median(finite)) if len(finite) else 0.0
    spread = float(1.4826 * np.median(np.abs(finite - median))) if len(finite) > 2 else 0.02
    regions, sectors = split_series_id(panel.ids)
    own, noise = growth_noise(adjusted)
    return Context(
        horizon=horizon,
        median_growth=median,
        growth_spread=max(spread, 1e-3),
        regions=tuple(sorted(set(regions) - {""})),
        sectors=tuple(sorted(set(sectors) - {""})),
        extras={"group_targets": group_targets(panel.ids, own, noise)},
    )


class Forecaster:
    """Base class. Subclasses set the capability flags and implement ``_fit`` and ``_predict_log``.

    Capability flags:
        name: unique registry name.
        min_length: fewest observations the model needs; shorter series go to ``fallback``.
        seasonal: models seasonality (monthly data) itself.
        intervals: produces intervals (all models here do, from their residual scale; the engine replaces
            them by conformal intervals calibrated on backtests).
        fallback: name of the simpler model used when this one cannot handle a series.
        vectorised: runs as numpy over all series at once (fast enough for the default path).

    Args:
        factory: builds the models this one delegates to by name (its fallback, an ensemble's members);
            ``models.registry.make_model`` passes itself. A model built without one can forecast only the
            series it handles itself.
        params: model parameters (see each model's docstring).
    """

    name = "base"
    min_length = 1
    seasonal = False
    intervals = True
    fallback: str | None = "naive"
    vectorised = True

    def __init__(self, *, factory: ModelFactory | None = None, **params):
        self.params = params
        self.factory = factory

    def make(self, name: str) -> "Forecaster":
        """A new, unfitted model by registry name, from this model's factory (for fallbacks and members)."""
        if self.factory is None:
            raise ValueError(f"{self.name}: needs model {name!r} but was built without a model factory; "
                             "build models with models.registry.make_model")
        return self.factory(name)

    # -- public interface -------------------------------------------------------------------------
    def fit(self, panel: Panel, context: Context | None = None) -> "Forecaster":
        """Fit on every series of `panel`; series too short for this model are handed to the fallback."""
        self.panel_ = panel
        self.context_ = context or make_context(panel, horizon=max(1, getattr(context, "horizon", 1)))
        self.fallbacks_: list[dict] = []
        enough = panel.lengths >= self.min_length
        self.own_rows_ = np.flatnonzero(enough)
        self.fallback_model_ = None
        if (~enough).any():
            if self.fallback is None:
                raise ValueError(f"{self.name}: series shorter than {self.min_length} and no fallback")
            rows = np.flatnonzero(~enough)
            self.fallback_model_ = self.make(self.fallback).fit(panel.take(rows), self.context_)
            self.fallback_rows_ = rows
            for i in rows:
                self.fallbacks_.append(
                    {
                        "series_id": panel.ids[i],
                        "requested": self.name,
                        "used": self.fallback,
                        "error": f"{panel.lengths[i]} points; {self.name} needs at least {self.min_length}",
                    }
                )
            self.fallbacks_.extend(self.fallback_model_.fallbacks_)
        if len(self.own_rows_):
            self._fit(panel.take(self.own_rows_) if (~enough).any() else panel)
        return self

    def predict_log(self, h: int) -> np.ndarray:
        """(n_series, h) point forecasts on the log scale (``log(value + offset)``)."""
        out = np.empty((self.panel_.n_series, h))
        if len(self.own_rows_):
            out[self.own_rows_] = self._predict_log(h)
        if self.fallback_model_ is not None:
            out[self.fallback_rows_] = self.fallback_model_.predict_log(h)
        return out

    def residual_scale(self) -> np.ndarray:
        """Per-series scale of one-step log errors (robust spread of the log growth), floored."""
        diffs = log_diffs(self.panel_.log_values)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            centre = np.nanmedian(diffs, axis=1, keepdims=True)
            scale = 1.4826 * np.nanmedian(np.abs(diffs - centre), axis=1)
        # Capped: a scale beyond 1 (a factor e per period) is a data artefact, not volatility to extrapolate.
        return np.where(np.isfinite(scale), np.clip(scale, 0.01, 1.0), 0.05)

    def predict(self, h: int, levels=(80, 95)) -> pd.DataFrame:
        """Long forecast frame: ``series_id, step, period, mean, lo_XX, hi_XX`` on the original scale.

        These intervals assume random-walk-like error growth (scale x sqrt(step)); the engine's conformal
        calibration replaces them with intervals measured on backtests.
        """
        point = self.predict_log(h)
        scale = self.residual_scale()[:, None] * np.sqrt(np.arange(1, h + 1))[None, :]
        bands = {}
        for level in levels:
            z = norm.ppf(0.5 + level / 200.0)
            bands[level] = (point - z * scale, point + z * scale)
        return forecast_frame(self.panel_, point, bands, model=self.name)


def back_transform(log_values: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """exp(log) - offset, clipped at 0 (employment is never negative)."""
    with np.errstate(over="ignore"):
        return np.maximum(np.exp(np.minimum(log_values, 700.0)) - offset[:, None], 0.0)


def forecast_frame(panel: Panel, point_log: np.ndarray, bands: dict, model) -> pd.DataFrame:
    """Assemble the long forecast frame from log-scale point forecasts and {level: (lo_log, hi_log)}."""
    n, h = point_log.shape
    periods = panel.future_periods(h)
    data = {
        "series_id": np.repeat(panel.ids, h),
        "step": np.tile(np.arange(1, h + 1), n),
        "period": periods.ravel(),
        "mean": back_transform(point_log, panel.offset).ravel(),
    }
    # Nest the bands: a wider level never lies inside a narrower one, and every band contains the mean.
    lo_prev, hi_prev = point_log, point_log
    for level in sorted(bands):
        lo, hi = bands[level]
        lo_prev, hi_prev = np.minimum(lo, lo_prev), np.maximum(hi, hi_prev)
        data[f"lo_{level}"] = back_transform(lo_prev, panel.offset).ravel()
        data[f"hi_{level}"] = back_transform(hi_prev, panel.offset).ravel()
    frame = pd.DataFrame(data)
    frame["model"] = np.repeat(np.asarray(model, dtype=object), h) if np.ndim(model) else model
    return frame
