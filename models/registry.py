"""Model registry: unique names -> forecaster classes with capability flags.

The top of the models package: it imports every model class; no model imports it. A model that needs another
by name (its fallback, an ensemble's members) gets :func:`make_model` as its factory when built here.
"""

from __future__ import annotations

import pandas as pd

from features.errors import TalentcastError
from models.base import Forecaster
from models.ensemble import MedianEnsemble
from models.global_model import GlobalModel
from models.simple import Drift, Mean, Naive, SeasonalNaive
from models.smoothing import SES, Damped, GroupDrift, RobustDrift, Theta
from models.statistical import ARIMA, ETS

MODELS: dict[str, type[Forecaster]] = {}

BASELINES = ("naive", "snaive", "drift", "mean")


def register(cls: type[Forecaster]) -> type[Forecaster]:
    """Add a forecaster class under its ``name`` (names are unique)."""
    if cls.name in MODELS and MODELS[cls.name] is not cls:
        raise ValueError(f"model name {cls.name!r} is already registered")
    MODELS[cls.name] = cls
    return cls


for _cls in (Naive, SeasonalNaive, Drift, Mean, SES, Damped, Theta, RobustDrift, GroupDrift, GlobalModel, ETS,
             ARIMA, MedianEnsemble):
    register(_cls)


def model_names() -> list[str]:
    """Registered model names."""
    return list(MODELS)


def make_model(name: str, **params) -> Forecaster:
    """A new, unfitted model by registry name.

    Raises:
        TalentcastError: unknown name (the message lists the known names).
    """
    try:
        cls = MODELS[name]
    except KeyError:
        known = ", ".join(["auto", *MODELS])
        raise TalentcastError(f"unknown method {name!r}; known methods: {known}") from None
    return cls(factory=make_model, **params)


def capabilities() -> pd.DataFrame:
    """One row per model: name, min_length, seasonal, intervals, vectorised, fallback."""
    return pd.DataFrame(
        [
            {
                "name": name,
                "min_length": cls.min_length,
                "seasonal": cls.seasonal,
                "intervals": cls.intervals,
                "vectorised": cls.vectorised,
                "fallback": cls.fallback,
                "description": (cls.__doc__ or "").strip().splitlines()[0],
            }
            for name, cls in MODELS.items()
        ]
    )
