"""Ensembles: the median of several models' log forecasts (robust to one member going astray)."""

from __future__ import annotations

import numpy as np

from features.series import Panel
from models.base import Forecaster

DEFAULT_MEMBERS = ("damped", "theta", "rdrift", "global")


class MedianEnsemble(Forecaster):
    """Median of member forecasts. Params: members (registry names), default damped, theta, rdrift, global."""

    name = "ensemble"
    min_length = 1
    seasonal = True
    fallback = None

    def _fit(self, panel: Panel) -> None:
        members = tuple(self.params.get("members", DEFAULT_MEMBERS))
        self.members_ = [self.make(name).fit(panel, self.context_) for name in members]
        for member in self.members_:
            self.fallbacks_.extend(member.fallbacks_)

    def _predict_log(self, h: int) -> np.ndarray:
        return np.median(np.stack([m.predict_log(h) for m in self.members_]), axis=0)
