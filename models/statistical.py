"""statsmodels ETS and ARIMA, fitted per series on the log scale.

Too slow for the default path on big panels (20-50 ms per series) but available by name. A series whose fit
raises (or returns non-finite forecasts) is forecast by the vectorised fallback and reported.
"""

from __future__ import annotations

import warnings

import numpy as np

from features.series import Panel
from models.base import Forecaster


class _PerSeries(Forecaster):
    vectorised = False

    def _fit(self, panel: Panel) -> None:
        self.fitted_ = {}
        failed, errors = [], []
        for i in range(panel.n_series):
            z = panel.log_values[i, panel.log_values.shape[1] - panel.lengths[i]:]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self.fitted_[i] = self._fit_one(z, panel.season_length)
            except Exception as exc:  # any numerical failure: this series falls back, the batch goes on
                failed.append(i)
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
        self._sub_panel = panel
        self.failed_ = np.array(failed, dtype=int)
        self.sub_fallback_ = None
        if failed:
            self.sub_fallback_ = self.make(self.fallback).fit(panel.take(self.failed_), self.context_)
            for i, error in zip(failed, errors):
                self.fallbacks_.append(
                    {"series_id": panel.ids[i], "requested": self.name, "used": self.fallback, "error": error}
                )

    def _predict_log(self, h: int) -> np.ndarray:
        out = np.full((self._sub_panel.n_series, h), np.nan)
        bad = []
        for i, fitted in self.fitted_.items():
            try:
                values = np.asarray(fitted.forecast(h), dtype=float)
                if not np.all(np.isfinite(values)) or np.any(np.abs(values) > 50):
                    raise FloatingPointError("non-finite forecast")
                out[i] = values
            except Exception as exc:
                bad.append((i, f"{type(exc).__name__}: {exc}"[:200]))
        if bad:
            rows = np.array([i for i, _ in bad])
            out[rows] = self.make(self.fallback).fit(self._sub_panel.take(rows), self.context_).predict_log(h)
            for i, error in bad:
                self.fallbacks_.append(
                    {"series_id": self._sub_panel.ids[i], "requested": self.name, "used": self.fallback,
                     "error": error}
                )
        if self.sub_fallback_ is not None:
            out[self.failed_] = self.sub_fallback_.predict_log(h)
        return out


class ETS(_PerSeries):
    """statsmodels ETSModel: additive errors, additive damped trend (+ additive seasonality for months)."""

    name = "ets"
    min_length = 5
    seasonal = True
    fallback = "damped"

    def _fit_one(self, z: np.ndarray, m: int):
        # Imported here: statsmodels takes about a second to import, and only runs that fit this model need it.
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        seasonal = "add" if m > 1 and len(z) >= 2 * m + 2 else None
        model = ETSModel(
            z, error="add", trend="add", damped_trend=True, seasonal=seasonal,
            seasonal_periods=m if seasonal else None,
        )
        return model.fit(disp=False, maxiter=200)


class ARIMA(_PerSeries):
    """statsmodels ARIMA(1,1,0) with drift; seasonal (0,1,1)_m for monthly series of 3+ cycles."""

    name = "arima"
    min_length = 5
    seasonal = True
    fallback = "drift"

    def _fit_one(self, z: np.ndarray, m: int):
        # Imported here: statsmodels takes about a second to import, and only runs that fit this model need it.
        from statsmodels.tsa.arima.model import ARIMA as _ARIMA

        if m > 1 and len(z) >= 3 * m:
            model = _ARIMA(z, order=(1, 1, 0), seasonal_order=(0, 1, 1, m), trend="n")
        else:
            model = _ARIMA(z, order=(1, 1, 0), trend="t")
        return model.fit()
