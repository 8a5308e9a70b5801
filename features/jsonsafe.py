"""One conversion of Python, numpy and pandas values to plain JSON types, used wherever results leave memory
(storage's JSON columns, the API's responses, the CLI's JSON and CSV output, exports, MLflow tags)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(value: Any, digits: int | None = None) -> Any:
    """`value` as JSON types: numpy scalars unwrapped, NaN/inf/NA/NaT -> None, dates -> ISO text, nested too.

    Args:
        value: any value, mapping or sequence.
        digits: round floats to this many decimals (None keeps them as they are).

    Raises:
        TypeError: a value that has no JSON form (e.g. an arbitrary object).
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, digits) if digits is not None else value
    if isinstance(value, np.generic):
        return to_jsonable(value.item(), digits)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, digits) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [to_jsonable(v, digits) for v in sorted(value, key=str)]
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [to_jsonable(v, digits) for v in list(value)]
    json.dumps(value)  # raises TypeError for a value JSON cannot hold
    return value


def records(frame: pd.DataFrame, digits: int | None = None) -> list[dict[str, Any]]:
    """Rows of `frame` as JSON-safe dicts."""
    return [{str(k): to_jsonable(v, digits) for k, v in row.items()} for row in frame.to_dict("records")]


def dumps(value: Any) -> str:
    """Compact JSON text of `value` (Chinese kept as is)."""
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))
