"""Assumed parameters as versioned data with uncertainty, and their draws in the simulation (假设参数).

`forecasting/data/assumptions.yaml` lists every parameter the pipeline assumes rather than estimates
(replacement rate, graduate entry share, crosswalk weights, local retention where no outcome data exist) with a
source, a central value and a 90% range. `load_assumptions` validates the file (a bad file names the file, the
parameter and the field); the draw functions turn a range into sample-path draws so P(shortage) includes it:

    lognormal    mean-one multiplier exp(sd z - sd^2 / 2), sd = ln(high / low) / 3.29 (a 90% range)
    logitnormal  (local retention default) sd on the rate scale = (high - low) / 3.29
    dirichlet    a major's crosswalk weights ~ Dirichlet(concentration x weights), per path

`assumption_share` says how much of the spread of a result comes from the assumptions rather than from the
forecast: 1 - var(log ratio | parameters at their central values) / var(log ratio | parameters drawn).
Pure functions; reading the packaged file is the only I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from features.errors import TalentcastError

ASSUMPTIONS_FILE = Path(__file__).with_name("data") / "assumptions.yaml"
DISTRIBUTIONS = ("lognormal", "logitnormal", "dirichlet")
REQUIRED = ("replacement_rate", "graduate_entry_share", "crosswalk_weight", "local_retention")
Z90 = 2 * 1.6449  # width of a central 90% normal interval in standard deviations
# Above this share of the variance of the log ratio, a result is said to rest mainly on the assumptions.
ASSUMPTIONS_DOMINATE = 0.5


@dataclass(frozen=True)
class Assumption:
    """One assumed parameter: its distribution, central value, 90% range (or Dirichlet concentration), source."""

    name: str
    distribution: str
    source: str
    central: float = math.nan
    low: float = math.nan
    high: float = math.nan
    concentration: float = math.nan
    upper_bound: float = math.inf

    @property
    def log_sd(self) -> float:
        """Spread of the log multiplier (log-normal parameters)."""
        return math.log(self.high / self.low) / Z90

    @property
    def rate_sd(self) -> float:
        """Spread on the rate scale (logit-normal parameters)."""
        return (self.high - self.low) / Z90


@dataclass(frozen=True)
class Assumptions:
    version: int
    parameters: dict[str, Assumption]
    source: str = str(ASSUMPTIONS_FILE)

    def __getitem__(self, name: str) -> Assumption:
        return self.parameters[name]

    def widened(self, factor: float) -> "Assumptions":
        """The same assumptions with every range `factor` times as wide (in log terms) - for sensitivity."""
        out = {}
        for name, a in self.parameters.items():
            if a.distribution == "lognormal":
                mid = math.sqrt(a.low * a.high)
                half = math.sqrt(a.high / a.low) ** factor
                out[name] = Assumption(a.name, a.distribution, a.source, a.central, mid / half, mid * half,
                                       a.concentration, a.upper_bound)
            elif a.distribution == "dirichlet":
                out[name] = Assumption(a.name, a.distribution, a.source,
                                       concentration=a.concentration / factor ** 2 if factor > 0 else math.inf)
            else:
                mid, half = (a.low + a.high) / 2, (a.high - a.low) / 2 * factor
                out[name] = Assumption(a.name, a.distribution, a.source, a.central, max(mid - half, 1e-4),
                                       min(mid + half, 1 - 1e-4), a.concentration, a.upper_bound)
        return Assumptions(self.version, out, f"{self.source} (ranges x{factor:g})")

    def fixed(self) -> "Assumptions":
        """Every parameter at its central value (no draws): forecast noise only."""
        return self.widened(0.0)


def _number(source: str, name: str, spec: dict, key: str, low: float = 0.0, high: float = math.inf) -> float:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < float(value) < high:
        raise TalentcastError(f"{source}: parameter '{name}', field '{key}': expected a number in ({low:g}, "
                              f"{high:g}), got {value!r}",
                              f"{source}：参数“{name}”的字段“{key}”应为 ({low:g}, {high:g}) 之间的数，实为 {value!r}")
    return float(value)


def parse_assumptions(data: object, source: str) -> Assumptions:
    """Validate the parsed YAML of an assumptions file."""
    if not isinstance(data, dict) or not isinstance(data.get("parameters"), dict):
        raise TalentcastError(f"{source}: expected a mapping with 'version' and 'parameters'",
                              f"{source}：应为含 version 与 parameters 的映射")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TalentcastError(f"{source}: field 'version': expected a whole number >= 1, got {version!r}",
                              f"{source}：字段 version 应为不小于 1 的整数，实为 {version!r}")
    out = {}
    for name, spec in data["parameters"].items():
        if not isinstance(spec, dict):
            raise TalentcastError(f"{source}: parameter '{name}': expected a mapping", f"{source}：参数“{name}”应为映射")
        distribution = spec.get("distribution")
        if distribution not in DISTRIBUTIONS:
            raise TalentcastError(f"{source}: parameter '{name}', field 'distribution': expected one of "
                                  f"{', '.join(DISTRIBUTIONS)}, got {distribution!r}",
                                  f"{source}：参数“{name}”的分布应为 {'、'.join(DISTRIBUTIONS)} 之一，实为 {distribution!r}")
        text = spec.get("source")
        if not isinstance(text, str) or not text.strip():
            raise TalentcastError(f"{source}: parameter '{name}', field 'source': say where the value comes from",
                                  f"{source}：参数“{name}”须在 source 字段注明数值来源")
        if distribution == "dirichlet":
            out[name] = Assumption(name, distribution, text.strip(),
                                   concentration=_number(source, name, spec, "concentration"))
            continue
        upper = 1.0 if distribution == "logitnormal" else math.inf
        central, low, high = (_number(source, name, spec, key, 0.0, upper) for key in ("central", "low", "high"))
        if not low <= central <= high or low == high:
            raise TalentcastError(f"{source}: parameter '{name}': expected low < high and low <= central <= high, "
                                  f"got low {low:g}, central {central:g}, high {high:g}",
                                  f"{source}：参数“{name}”应满足 low < high 且 low <= central <= high，实为 "
                                  f"low {low:g}、central {central:g}、high {high:g}")
        bound = float(spec.get("upper_bound", math.inf))
        out[name] = Assumption(name, distribution, text.strip(), central, low, high, upper_bound=bound)
    missing = [name for name in REQUIRED if name not in out]
    if missing:
        raise TalentcastError(f"{source}: parameter(s) {', '.join(missing)} missing",
                              f"{source}：缺少参数 {'、'.join(missing)}")
    return Assumptions(version, out, source)


def load_assumptions(path: str | Path | None = None) -> Assumptions:
    """The packaged assumptions (or a file of the same form)."""
    path = Path(path) if path is not None else ASSUMPTIONS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TalentcastError(f"{path}: cannot read the assumptions file: {exc}", f"{path}：无法读取假设参数文件：{exc}") from exc
    return parse_assumptions(data, str(path))


def lognormal_multipliers(assumption: Assumption, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Mean-one log-normal multipliers of the given shape (ones when the range is zero)."""
    sd = assumption.log_sd
    if sd <= 0:
        return np.ones(shape)
    return np.exp(sd * rng.standard_normal(shape) - 0.5 * sd ** 2)


def dirichlet_weights(groups: np.ndarray, weights: np.ndarray, concentration: float, n_paths: int,
                      rng: np.random.Generator) -> np.ndarray:
    """(rows, n_paths) crosswalk weights drawn per group (major) from Dirichlet(concentration x weights).

    Args:
        groups: (rows,) group label of each row (a major's rows sum to 1 per path).
        weights: (rows,) central weights (summing to 1 within each group).
        concentration: Dirichlet concentration; inf or nan = no draw (the central weights on every path).
    """
    weights = np.asarray(weights, dtype=float)
    if not np.isfinite(concentration) or len(weights) == 0:
        return np.repeat(weights[:, None], n_paths, axis=1)
    draws = rng.gamma(np.maximum(weights * concentration, 1e-6)[:, None], 1.0, (len(weights), n_paths))
    _, group_index = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    totals = np.zeros((group_index.max() + 1, n_paths))
    np.add.at(totals, group_index, draws)
    out = draws / np.where(totals[group_index] > 0, totals[group_index], 1.0)
    # A group whose draws all underflowed keeps its central weights.
    return np.where(totals[group_index] > 0, out, weights[:, None])


def assumption_share(central_paths: np.ndarray, drawn_paths: np.ndarray) -> np.ndarray:
    """Share of the variance of log(result) due to the assumptions: 1 - var(central) / var(drawn), 0..1."""
    floor = 1e-6
    var_central = np.log(np.maximum(central_paths, floor)).var(axis=-1)
    var_drawn = np.log(np.maximum(drawn_paths, floor)).var(axis=-1)
    share = 1.0 - var_central / np.where(var_drawn > 0, var_drawn, 1.0)
    return np.clip(np.where(var_drawn > 0, share, 0.0), 0.0, 1.0)
