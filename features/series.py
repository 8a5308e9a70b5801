"""Long-format series helpers: validation, period parsing, the panel matrix the models work on, and the
scale-free features of the global model.

One long format everywhere: ``series_id, period, value``. ``period`` is a year (``"2015"``) or a month
(``"2015-03"``). Inside the models a set of series is a :class:`Panel`: a right-aligned matrix of log values
(one row per series, the last column is each series' last observation, shorter series padded with NaN on
the left), because every vectorised model then runs as column recursions over all series at once.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.errors import TalentcastError

FREQS = ("year", "month")
SEASON_LENGTH = {"year": 1, "month": 12}
LONG_COLUMNS = ("series_id", "period", "value")
EMPLOYMENT_COLUMNS = ("region", "sector", "year", "employed")

_YEAR_RE = re.compile(r"^\d{4}$")
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def infer_freq(periods: pd.Series) -> str:
    """Return "year" when every period looks like ``YYYY`` and "month" when every one is ``YYYY-MM``.

    Raises:
        TalentcastError: mixed or unrecognised period formats (names the first bad value).
    """
    text = periods.astype(str)
    if text.str.match(_YEAR_RE).all():
        return "year"
    if text.str.match(_MONTH_RE).all():
        return "month"
    bad = text[~(text.str.match(_YEAR_RE) | text.str.match(_MONTH_RE))]
    if len(bad):
        return _raise_period(bad.index[0], bad.iloc[0])
    raise TalentcastError("periods mix years (YYYY) and months (YYYY-MM); use one frequency per file",
                          "期间混用了年份（YYYY）和月份（YYYY-MM）；每个文件只能用一种频率")


def _raise_period(index, value) -> str:
    raise TalentcastError(f"row {_row(index)}, column 'period', value {value!r}: not a year (YYYY) or month (YYYY-MM)",
                          f"第{_row(index)}行，“period”列，值 {value!r}：不是年份（YYYY）或月份（YYYY-MM）")


def _row(index) -> int:
    # Spreadsheet numbering: header is row 1, the first data row is row 2.
    return int(index) + 2 if isinstance(index, (int, np.integer)) else index


def period_to_ordinal(periods: pd.Series, freq: str) -> np.ndarray:
    """Map period strings to consecutive integers (years, or year * 12 + month - 1)."""
    text = periods.astype(str)
    if freq == "year":
        if not text.str.match(_YEAR_RE).all():
            bad = text[~text.str.match(_YEAR_RE)]
            _raise_period(bad.index[0], bad.iloc[0])
        return text.astype(int).to_numpy()
    if not text.str.match(_MONTH_RE).all():
        bad = text[~text.str.match(_MONTH_RE)]
        raise TalentcastError(
            f"row {_row(bad.index[0])}, column 'period', value {bad.iloc[0]!r}: not a month (YYYY-MM) "
            "but --freq month was asked",
            f"第{_row(bad.index[0])}行，“period”列，值 {bad.iloc[0]!r}：不是月份（YYYY-MM），但指定了 --freq month"
        )
    return (text.str[:4].astype(int) * 12 + text.str[5:7].astype(int) - 1).to_numpy()


def ordinal_to_period(ordinals: np.ndarray, freq: str) -> np.ndarray:
    """Inverse of :func:`period_to_ordinal`: integers back to ``YYYY`` / ``YYYY-MM`` strings."""
    ordinals = np.asarray(ordinals, dtype=int)
    if freq == "year":
        return ordinals.astype(str)
    if ordinals.size == 0:
        return np.array([], dtype=str)
    years, months = np.divmod(ordinals, 12)
    return np.char.add(np.char.add(years.astype(str), "-"), np.char.zfill((months + 1).astype(str), 2))


def to_long(frame: pd.DataFrame, source: str = "input") -> pd.DataFrame:
    """Return the long series table ``series_id, period, value`` from a long table or an employment table.

    The employment contract table (region, sector, year, employed) becomes series ``"region|sector"``.
    Values are checked here (numbers, no duplicates) so that every entry point reports the same errors.

    Args:
        frame: the table as read (any column dtypes).
        source: file name used in error messages.

    Raises:
        TalentcastError: missing columns, non-numeric or negative values, empty ids, duplicate periods.
    """
    columns = set(frame.columns)
    if set(LONG_COLUMNS) <= columns:
        long = frame.loc[:, list(LONG_COLUMNS)].copy()
    elif set(EMPLOYMENT_COLUMNS) <= columns:
        long = pd.DataFrame(
            {
                "series_id": frame["region"].astype(str).str.strip() + "|" + frame["sector"].astype(str).str.strip(),
                "period": frame["year"],
                "value": frame["employed"],
            },
            index=frame.index,
        )
    else:
        missing = [c for c in LONG_COLUMNS if c not in columns]
        raise TalentcastError(
            f"{source}: missing columns {', '.join(missing)}; expected series_id, period, value "
            "(or the employment table: region, sector, year, employed)",
            f"{source}：缺少列 {'、'.join(missing)}；应为 series_id、period、value"
            "（或就业表：region、sector、year、employed）"
        )
    long = long.reset_index(drop=True)
    long["series_id"] = long["series_id"].astype(str).str.strip()
    empty = long["series_id"].isin(["", "nan", "None"])
    if empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise TalentcastError(f"{source}: row {i + 2}, column 'series_id': empty series id",
                              f"{source}：第{i + 2}行，“series_id”列：序列标识为空")
    long["period"] = _clean_period(long["period"])
    values = pd.to_numeric(long["value"], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise TalentcastError(
            f"{source}: row {i + 2}, column 'value', value {long['value'].iloc[i]!r}: not a number "
            f"(series '{long['series_id'].iloc[i]}', period {long['period'].iloc[i]})",
            f"{source}：第{i + 2}行，“value”列，值 {long['value'].iloc[i]!r}：不是数字"
            f"（序列“{long['series_id'].iloc[i]}”，期间 {long['period'].iloc[i]}）"
        )
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative.to_numpy())[0])
        raise TalentcastError(
            f"{source}: row {i + 2}, column 'value', value {values.iloc[i]!r}: employment cannot be negative",
            f"{source}：第{i + 2}行，“value”列，值 {values.iloc[i]!r}：就业人数不能为负"
        )
    long["value"] = values.astype(float)
    duplicated = long.duplicated(["series_id", "period"], keep="first")
    if duplicated.any():
        i = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise TalentcastError(
            f"{source}: row {i + 2}: duplicate period {long['period'].iloc[i]} for series "
            f"'{long['series_id'].iloc[i]}'",
            f"{source}：第{i + 2}行：序列“{long['series_id'].iloc[i]}”的期间 {long['period'].iloc[i]} 重复"
        )
    return long


def _clean_period(period: pd.Series) -> pd.Series:
    # Years read as numbers may arrive as 2015 or 2015.0; keep them as "2015".
    if pd.api.types.is_numeric_dtype(period):
        as_float = period.astype(float)
        if np.all(np.isfinite(as_float)) and np.all(as_float == np.round(as_float)):
            return as_float.astype(int).astype(str)
    return period.astype(str).str.strip()


@dataclass
class Panel:
    """A set of series as a right-aligned matrix on the log scale.

    Attributes:
        ids: series ids, one per row.
        log_values: (n, T) matrix of ``log(value + offset)``; row i holds its series in the last
            ``lengths[i]`` columns, NaN before. Internal gaps are filled by log-linear interpolation.
        offset: per-series offset added before the log (0 when the series is strictly positive), so that
            zeros are allowed and back-transformed forecasts are clipped at 0.
        lengths: number of observations per series (after gap filling).
        last: ordinal of each series' last period.
        freq: "year" or "month".
        filled: number of interpolated gaps per series (reported, not hidden).
    """

    ids: np.ndarray
    log_values: np.ndarray
    offset: np.ndarray
    lengths: np.ndarray
    last: np.ndarray
    freq: str
    filled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def season_length(self) -> int:
        return SEASON_LENGTH[self.freq]

    def values(self) -> np.ndarray:
        """Values on the original scale (NaN padding kept)."""
        return np.exp(self.log_values) - self.offset[:, None]

    def truncate(self, k: int) -> "Panel":
        """Drop the last ``k`` observations of every series (a backtest cutoff ``k`` steps before the end)."""
        if k == 0:
            return self
        return Panel(
            ids=self.ids,
            log_values=self.log_values[:, :-k],
            offset=self.offset,
            lengths=np.maximum(self.lengths - k, 0),
            last=self.last - k,
            freq=self.freq,
            filled=self.filled,
        )

    def take(self, rows: np.ndarray) -> "Panel":
        """The sub-panel of the given row positions (used to partition series over workers)."""
        rows = np.asarray(rows)
        return Panel(
            ids=self.ids[rows],
            log_values=self.log_values[rows],
            offset=self.offset[rows],
            lengths=self.lengths[rows],
            last=self.last[rows],
            freq=self.freq,
            filled=self.filled[rows] if len(self.filled) else self.filled,
        )

    def future_periods(self, horizon: int) -> np.ndarray:
        """(n, horizon) matrix of period strings following each series' last period."""
        ordinals = self.last[:, None] + np.arange(1, horizon + 1)[None, :]
        return ordinal_to_period(ordinals.ravel(), self.freq).reshape(ordinals.shape)


def build_panel(long: pd.DataFrame, freq: str | None = None) -> Panel:
    """Turn a validated long table into a :class:`Panel`.

    Args:
        long: ``series_id, period, value`` as returned by :func:`to_long`.
        freq: "year" or "month"; inferred from the period format when None.
    """
    if freq is None:
        freq = infer_freq(long["period"])
    if freq not in FREQS:
        raise TalentcastError(f"unknown frequency {freq!r}; use year or month", f"未知的频率 {freq!r}，请用 year 或 month")
    ordinal = period_to_ordinal(long["period"], freq)
    codes, ids = pd.factorize(long["series_id"], sort=False)
    first = np.full(len(ids), np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(len(ids), np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, codes, ordinal)
    np.maximum.at(last, codes, ordinal)
    span = last - first + 1
    width = int(span.max()) if len(span) else 0
    raw = np.full((len(ids), width), np.nan)
    column = width - 1 - (last[codes] - ordinal)
    raw[codes, column] = long["value"].to_numpy(dtype=float)

    largest = np.nanmax(raw, axis=1, initial=0.0)
    smallest = np.nanmin(raw, axis=1, initial=np.inf)
    # A zero (or a value vanishingly small next to the series' largest) cannot be logged usefully: shift the
    # series before the log. The shift is half its smallest positive value (1 for an all-zero series): a
    # tiny shift (a millionth of the largest) turns 0 -> 3 into a jump of 15 log units, and every trend model
    # then extrapolates an explosion (seen: [0, 0, 3, 0, 5] forecast to 158,114 in three years). Forecasts
    # are clipped at 0 later.
    needs_offset = smallest <= 1e-6 * largest
    positive = np.where(raw > 1e-6 * largest[:, None], raw, np.nan)
    smallest_positive = np.nanmin(np.where(np.isnan(positive), np.inf, positive), axis=1, initial=np.inf)
    shift = np.where(np.isfinite(smallest_positive), 0.5 * smallest_positive, 1.0)
    offset = np.where(needs_offset, np.maximum(shift, 1e-6 * largest), 0.0)
    log_values = np.log(raw + offset[:, None])

    observed = ~np.isnan(log_values)
    inside = np.arange(width)[None, :] >= (width - span)[:, None]
    gaps = inside & ~observed
    filled = gaps.sum(axis=1)
    if gaps.any():
        log_values = _interpolate_rows(log_values, inside)
    return Panel(
        ids=np.asarray(ids, dtype=object),
        log_values=log_values,
        offset=offset,
        lengths=span.astype(int),
        last=last.astype(int),
        freq=freq,
        filled=filled.astype(int),
    )


def _interpolate_rows(matrix: np.ndarray, inside: np.ndarray) -> np.ndarray:
    out = matrix.copy()
    columns = np.arange(matrix.shape[1])
    for i in np.flatnonzero((inside & np.isnan(matrix)).any(axis=1)):
        known = ~np.isnan(matrix[i])
        holes = inside[i] & ~known
        out[i, holes] = np.interp(columns[holes], columns[known], matrix[i, known])
    return out


def panel_to_long(panel: Panel) -> pd.DataFrame:
    """The panel back as a long table (value on the original scale); inverse of :func:`build_panel`."""
    width = panel.log_values.shape[1]
    rows, cols = np.nonzero(~np.isnan(panel.log_values))
    ordinals = panel.last[rows] - (width - 1 - cols)
    return pd.DataFrame(
        {
            "series_id": panel.ids[rows],
            "period": ordinal_to_period(ordinals, panel.freq),
            "value": np.exp(panel.log_values[rows, cols]) - panel.offset[rows],
        }
    )


def split_series_id(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Region and sector parts of ``"region|sector"`` ids (empty strings when an id has no ``|``)."""
    parts = pd.Series(ids, dtype=object).astype(str).str.split("|", n=1, expand=True)
    if parts.shape[1] < 2:
        empty = np.full(len(ids), "", dtype=object)
        return empty, empty
    region = parts[0].where(parts[1].notna(), "").to_numpy(dtype=object)
    sector = parts[1].fillna("").to_numpy(dtype=object)
    return region, sector


def log_diffs(log_values: np.ndarray) -> np.ndarray:
    """Period-on-period log growth, same shape as the input (first column NaN)."""
    out = np.full_like(log_values, np.nan)
    out[:, 1:] = np.diff(log_values, axis=1)
    return out


def global_features(log_values: np.ndarray, n_lags: int = 3) -> np.ndarray:
    """Scale-free features at the last column of each row: recent growth rates and their summary.

    Returns an (n, n_lags + 3) matrix: growth lags 1..n_lags (NaN when the series is shorter), mean growth,
    robust (median) growth and the standard deviation of growth over the available history.
    """
    diffs = log_diffs(log_values)
    lags = diffs[:, ::-1][:, :n_lags]
    if lags.shape[1] < n_lags:
        lags = np.hstack([lags, np.full((len(lags), n_lags - lags.shape[1]), np.nan)])
    with np.errstate(all="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            mean = np.nanmean(diffs, axis=1)
            median = np.nanmedian(diffs, axis=1)
            sd = np.nanstd(diffs, axis=1)
    return np.column_stack([lags, mean, median, sd])


# ------------------------------------------------------------------------------------ input conventions
# Files from other tools name the columns differently (Nixtla's unique_id/ds/y, a plain date column) and
# write periods as dates (2015-03-01, 2015-12-31, 2015/3/1). The CLI accepts those and writes its forecasts
# back in the file's own period format, so a forecast file lines up with the input it came from.

COLUMN_ALIASES = {
    "series_id": ("series_id", "unique_id", "series", "序列", "序列编号"),
    "period": ("period", "ds", "date", "time", "年份", "期间", "日期"),
    "value": ("value", "y", "employed", "employment", "值", "数值", "就业人数"),
}
_MISSING_TEXT = {"", "na", "n/a", "nan", "null", "none", "-", "--", "..."}


@dataclass(frozen=True)
class PeriodFormat:
    """How the input wrote its periods, so output periods can be written the same way.

    Attributes:
        kind: "plain" (YYYY / YYYY-MM, nothing to convert), "date" (a full date per period).
        freq: "year" or "month" (for "date": inferred from the dates).
        anchor: for dates, "start" (first day of the month / year) or "end" (last day).
        month: for yearly dates, the month every date falls in (1 for Jan-1 dates, 12 for Dec-31).
        separator: "-" or "/" as in the input dates.
    """

    kind: str = "plain"
    freq: str | None = None
    anchor: str = "start"
    month: int = 1
    separator: str = "-"

    def render(self, periods: pd.Series) -> pd.Series:
        """Turn internal periods (``YYYY`` / ``YYYY-MM``) back into the input's format."""
        if self.kind == "plain":
            return periods
        text = periods.astype(str)
        if self.freq == "year":
            starts = pd.to_datetime(text + f"-{self.month:02d}-01")
        else:
            starts = pd.to_datetime(text + "-01")
        dates = starts + pd.offsets.MonthEnd(0) if self.anchor == "end" else starts
        return pd.Series(dates.dt.strftime(f"%Y{self.separator}%m{self.separator}%d").to_numpy(), index=periods.index)


def normalise_input(frame: pd.DataFrame, source: str = "input") -> tuple[pd.DataFrame, PeriodFormat, int]:
    """Bring a forecasting input file to the long format's column names and period strings.

    Column aliases are recognised (``unique_id, ds, y`` and a few Chinese names); a file with only a period
    and a value column is one series named after the file. Missing values (empty, NA, "-") are dropped:
    the engine fills gaps inside a series by interpolation and reports them. Dates become ``YYYY`` when
    every date falls on the same day of the year, else ``YYYY-MM`` when every date is the same day of its
    month (first or last).

    Returns:
        The frame with ``series_id, period, value`` (other columns dropped, or the employment table
        unchanged), the input's period format, and the number of missing values dropped.

    Raises:
        TalentcastError: dates that are neither monthly nor yearly (e.g. weekly or mixed days).
    """
    if {"region", "sector", "year", "employed"} <= set(frame.columns):
        return frame, PeriodFormat(), 0
    lower = {str(c).strip().lower(): c for c in frame.columns}
    renamed = {}
    for target, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in lower and target not in renamed.values():
                renamed[lower[alias]] = target
                break
    frame = frame.rename(columns=renamed)
    if "series_id" not in frame.columns and {"period", "value"} <= set(frame.columns):
        frame = frame.assign(series_id=str(source).rsplit(".", 1)[0])
    if not set(LONG_COLUMNS) <= set(frame.columns):
        return frame, PeriodFormat(), 0
    frame = frame.loc[:, list(LONG_COLUMNS)]
    value_text = frame["value"].astype(str).str.strip().str.lower()
    missing = frame["value"].isna() | value_text.isin(_MISSING_TEXT)
    frame = frame[~missing.to_numpy()]
    period = _clean_period(frame["period"])
    plain = period.str.match(_YEAR_RE) | period.str.match(_MONTH_RE)
    if plain.all():
        return frame.assign(period=period), PeriodFormat(), int(missing.sum())
    dates = _parse_dates(period, source)
    return _dates_to_periods(frame, dates, source), _date_format(dates, period), int(missing.sum())


def _parse_dates(period: pd.Series, source: str) -> pd.Series:
    dates = pd.to_datetime(period.str.slice(0, 10), errors="coerce", format="mixed")
    if dates.isna().any():
        bad = period[dates.isna()]
        i = bad.index[0]
        raise TalentcastError(f"{source}: row {_row(i)}, column 'period', value {bad.iloc[0]!r}: not a year "
                              "(YYYY), a month (YYYY-MM) or a date (YYYY-MM-DD)",
                              f"{source}：第{_row(i)}行，“period”列，值 {bad.iloc[0]!r}：不是年份（YYYY）、"
                              "月份（YYYY-MM）或日期（YYYY-MM-DD）")
    return dates


def _date_format(dates: pd.Series, period: pd.Series) -> PeriodFormat:
    separator = "/" if period.iloc[0][4:5] == "/" else "-"
    month_end = bool((dates == dates + pd.offsets.MonthEnd(0)).all()) and not bool((dates.dt.day == 1).all())
    anchor = "end" if month_end else "start"
    if dates.dt.month.nunique() == 1 and dates.dt.year.is_unique:
        return PeriodFormat("date", "year", anchor, int(dates.dt.month.iloc[0]), separator)
    return PeriodFormat("date", "month", anchor, 1, separator)


def _dates_to_periods(frame: pd.DataFrame, dates: pd.Series, source: str) -> pd.DataFrame:
    is_month_end = dates == dates + pd.offsets.MonthEnd(0)
    if not ((dates.dt.day == 1).all() or is_month_end.all()):
        raise TalentcastError(f"{source}: column 'period': dates must all fall on the first or all on the last "
                              "day of a month (monthly or yearly data); weekly or daily series are not supported",
                              f"{source}：“period”列：日期必须都在月初或都在月末（月度或年度数据）；"
                              "不支持周度或日度序列")
    by_series = pd.DataFrame({"series_id": frame["series_id"].astype(str).to_numpy(), "date": dates.to_numpy()})
    one_month = by_series["date"].dt.month.nunique() == 1
    yearly = one_month and not by_series.duplicated().any() and \
        not by_series.assign(y=by_series["date"].dt.year).duplicated(["series_id", "y"]).any()
    text = dates.dt.strftime("%Y") if yearly else dates.dt.strftime("%Y-%m")
    return frame.assign(period=text.to_numpy())
