"""Validate input tables against the data contract and type them.

`validate_table` checks one all-text frame (as `features.readers.read_table` returns it, or any frame:
it is turned into text first) against its schema in `features.contract`: columns, required values,
types, bounds, choices, years, duplicate keys, references to other tables and the table-level checks
named in the schema. Every problem becomes an `Issue` with the spreadsheet row (header = row 1, first
data row = row 2), the column, the value as written and the reason. All issues are collected (up to
`MAX_ISSUES`, the rest counted) instead of stopping at the first, and every check is vectorised so a
100k-row file validates in about a second.

Errors raise `ValidationError`; warnings (gaps in a series, reference checks skipped because the other
table was not supplied) come back on the `ValidatedTable`. Every reason is given in English and Chinese
(`Issue.reason`, `Issue.reason_zh`). Before any check, full-width digits, letters and spaces are read as ASCII,
and choice values written as people write them (省, 高职, 大专; `features.contract.VALUE_ALIASES`) become the
contract's values.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from features.contract import (
    BOOLEAN_VALUES,
    COLUMN_NAMES_ZH,
    DEFAULT_DURATION_YEARS,
    MAX_YEAR,
    MIN_YEAR,
    SCHEMAS,
    Column,
    TableSchema,
    choice_lookup,
    choices_text,
    get_schema,
    header_aliases,
    value_key,
)
from features.errors import Issue, TalentcastError, ValidationError
from features.readers import frame_to_text, read_table

MAX_ISSUES = 200
"""Issues kept in a report; the rest are counted in `ValidatedTable.omitted` / `ValidationError.omitted`."""

WEIGHT_TOLERANCE = 1e-6
FIRST_DATA_ROW = 2  # spreadsheet row of the first data row (the header is row 1)

_UNITS_ZH = {"persons": "人", "years": "年", "year": "年", "1/year": "/年"}
_NON_FINITE_WORDS = ("nan", "inf", "infinity")
_BOOLEAN = {value_key(text): flag for flag, texts in BOOLEAN_VALUES.items() for text in texts}
# Full-width digits and Latin letters (４５０２００, Ｃ３６) and the ideographic / no-break spaces are read as their
# ASCII forms in every cell and header; in number and period cells also the full-width . , - + / (１，２３４．５).
_WIDTH = {**{0xFF10 + i: 0x30 + i for i in range(10)}, **{0xFF21 + i: 0x41 + i for i in range(26)},
          **{0xFF41 + i: 0x61 + i for i in range(26)}, 0x3000: 0x20, 0x00A0: 0x20}
_NUMERIC_WIDTH = {**_WIDTH, 0xFF0E: 0x2E, 0xFF0C: 0x2C, 0xFF0D: 0x2D, 0xFF0B: 0x2B, 0xFF0F: 0x2F, 0x2212: 0x2D}
# Thousands separators as Chinese statistical yearbooks print them: 1,234,567 or 1,234.5
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
# Accepted periods: 2024, 2024年, 2024-03, 2024-3, 2024/03, 2024.03, 2024年3月, and an Excel date of the
# month's first day (2024-03-01, 2024-03-01 00:00:00) because Excel turns a typed "2024-03" into that date.
_PERIOD = (r"(?P<y>\d{4})年?"
           r"(?:[-/.年](?P<m>\d{1,2})月?(?:[-/.]0?1(?:[ T]00:00(?::00)?)?)?)?")


@dataclass
class ValidatedTable:
    """A table that passed validation.

    Attributes:
        frame: typed DataFrame with the contract's columns in contract order: "str" and "period" columns
            hold `str` (None when missing; periods normalised to "YYYY" or "YYYY-MM"), "int" columns are
            int64 when required and nullable Int64 otherwise, "float" columns float64 (NaN when
            missing), "bool" columns nullable boolean. All-empty rows are dropped.
        issues: warnings only (errors raise `ValidationError`).
        table: contract table name.
        source: file name (or other label) the issues refer to.
        omitted: warnings not listed in `issues` because of the `MAX_ISSUES` cap.
    """

    frame: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    table: str = ""
    source: str = ""
    omitted: int = 0

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]


class _Issues:
    """Collects issues up to a cap, counting the ones beyond it."""

    def __init__(self, source: str, limit: int):
        self.source = source
        self.limit = limit
        self.kept: list[Issue] = []
        self.omitted_errors = 0
        self.omitted_warnings = 0
        self.error_count = 0

    def add(self, reason: str, row: int | None = None, column: str | None = None, value: object = None,
            severity: str = "error", reason_zh: str | None = None) -> None:
        if severity == "error":
            self.error_count += 1
        if len(self.kept) < self.limit:
            self.kept.append(Issue(self.source, reason, row, column, value, severity, reason_zh))
        elif severity == "error":
            self.omitted_errors += 1
        else:
            self.omitted_warnings += 1

    def add_rows(self, positions: np.ndarray, column: str | None, values: pd.Series | list | None,
                 reason: str | Callable[[int], str], severity: str = "error",
                 reason_zh: str | Callable[[int], str] | None = None) -> None:
        """Add one issue per row position (0-based data position); builds objects only up to the cap.

        `reason` / `reason_zh` (English / Chinese) are a text or a function of the issue's index."""
        positions = np.asarray(positions)
        room = max(self.limit - len(self.kept), 0)
        if severity == "error":
            self.error_count += len(positions)
        for i, pos in enumerate(positions[:room]):
            value = None if values is None else _plain(values.iloc[i] if isinstance(values, pd.Series)
                                                        else values[i])
            text = reason(i) if callable(reason) else reason
            text_zh = reason_zh(i) if callable(reason_zh) else reason_zh
            self.kept.append(Issue(self.source, text, int(pos) + FIRST_DATA_ROW, column, value, severity,
                                   text_zh))
        extra = max(len(positions) - room, 0)
        if severity == "error":
            self.omitted_errors += extra
        else:
            self.omitted_warnings += extra

    def room(self) -> int:
        """How many more issues can be kept."""
        return max(self.limit - len(self.kept), 0)

    def count_omitted(self, count: int, severity: str) -> None:
        """Count `count` issues that are not built because the list is full (callers check `room()`)."""
        if severity == "error":
            self.error_count += count
            self.omitted_errors += count
        else:
            self.omitted_warnings += count

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def ordered(self) -> list[Issue]:
        """Errors first, then warnings; each by row (file-level issues first), then in check order."""
        return sorted(self.kept, key=lambda i: (i.severity != "error", -1 if i.row is None else i.row))


def validate_table(table: str, frame: pd.DataFrame, source: str,
                   references: Mapping[str, pd.DataFrame] | None = None, *,
                   max_issues: int = MAX_ISSUES) -> ValidatedTable:
    """Check `frame` against the contract schema of `table` and return it typed.

    Args:
        table: contract table name (see `features.contract.TABLE_NAMES`).
        frame: the table as read (all text, "" = missing) or already typed; row i (0-based position)
            is reported as spreadsheet row i + 2.
        source: file name shown in every issue.
        references: other tables by name (raw or validated frames) used to check codes, e.g.
            {"majors": majors_frame} for enrolment.major. A reference to a table not supplied is
            skipped with a warning.
        max_issues: how many issues to list; the rest are counted.

    Returns:
        ValidatedTable with the typed frame and the warnings.

    Raises:
        ValidationError: at least one error; `issues` lists errors first, then warnings, and
            `omitted` counts those beyond `max_issues`.
        TalentcastError: `table` is not a contract table.
    """
    schema = check_table(table)
    references = dict(references or {})
    issues = _Issues(source, max_issues)

    raw = frame_to_text(frame)
    # Chinese headers (招生人数, 年份, ...) and the templates' bilingual ones (招生人数 intake) name the same
    # columns; messages then use the contract name.
    aliases = header_aliases(table)
    raw.columns = [aliases.get(_header(name), _header(name)) for name in raw.columns]
    present = _check_columns(schema, raw, issues)
    if not present and issues.has_errors:
        # None of the contract's columns found (wrong file or a title above the header): row-level
        # issues would only be noise.
        raise ValidationError(issues.ordered(), omitted=issues.omitted_errors + issues.omitted_warnings,
                              table=table)

    numeric = {c.name for c in schema.columns if c.dtype in ("int", "float", "period")}
    stripped = [_normalise(raw.iloc[:, i], name in numeric) for i, name in enumerate(raw.columns)]
    nonblank = np.zeros(len(raw), dtype=bool)
    for column_text in stripped:
        nonblank |= column_text.to_numpy() != ""
    blank_positions = np.flatnonzero(~nonblank)
    if len(raw) and len(blank_positions):
        issues.add_rows(blank_positions, None, None, "empty row, skipped", severity="warning",
                        reason_zh="空行，已跳过")
    raw = raw.loc[nonblank]
    if len(raw) == 0:
        issues.add("table has no data rows", reason_zh="表中没有数据行")

    typed: dict[str, pd.Series] = {}
    valid: dict[str, np.ndarray] = {}  # per column: value present and well-formed
    position_of = {name: i for i, name in enumerate(raw.columns)}
    for column in schema.columns:
        if column.name not in present:
            continue
        text = stripped[position_of[column.name]].loc[nonblank]
        typed[column.name], valid[column.name] = _check_column(column, raw[column.name], text, issues, table)

    positions = pd.Series(np.flatnonzero(nonblank), index=raw.index)
    context = _Context(schema, raw, typed, valid, positions, issues, references)
    _check_key(context)
    _check_references(context)
    for check in schema.checks:
        TABLE_CHECKS[check](context)

    if issues.has_errors:
        raise ValidationError(issues.ordered(), omitted=issues.omitted_errors + issues.omitted_warnings,
                              table=table)

    result = pd.DataFrame({c.name: _final_column(c, typed.get(c.name), raw.index) for c in schema.columns})
    result = result.reset_index(drop=True)
    return ValidatedTable(result, issues.ordered(), table, source, issues.omitted_warnings)


def load_and_validate(table: str, path: str | os.PathLike,
                      references: Mapping[str, pd.DataFrame] | None = None, *,
                      source: str | None = None) -> ValidatedTable:
    """Read `path` (CSV/XLSX/Parquet) and validate it as `table`; issues name the file by its name.

    Raises:
        InputFileError: the file cannot be read.
        ValidationError: the table has errors.
    """
    check_table(table)
    name = source or Path(path).name
    frame = read_table(path, table, source=source)
    return validate_table(table, frame, name, references)


def validate_tables(frames: Mapping[str, pd.DataFrame], sources: Mapping[str, str] | None = None
                    ) -> dict[str, ValidatedTable]:
    """Validate several tables in contract order, each checked against the ones validated before it.

    Args:
        frames: {table: frame}; tables not in the contract raise TalentcastError.
        sources: {table: file name} for the issues (default: the table name).

    Raises:
        ValidationError: listing the issues of every table that failed (all tables are checked).
    """
    unknown = sorted(set(frames) - set(SCHEMAS))
    if unknown:
        raise TalentcastError(f"unknown table(s) {', '.join(unknown)}; known tables: {', '.join(SCHEMAS)}",
                              f"未知的表：{', '.join(unknown)}；可用的表：{', '.join(SCHEMAS)}")
    sources = dict(sources or {})
    done: dict[str, ValidatedTable] = {}
    failed: list[Issue] = []
    omitted = 0
    references: dict[str, pd.DataFrame] = {}
    for name in SCHEMAS:
        if name not in frames:
            continue
        try:
            done[name] = validate_table(name, frames[name], sources.get(name, name), references)
            references[name] = done[name].frame
        except ValidationError as exc:
            failed.extend(exc.issues)
            omitted += exc.omitted
            # Later tables still get checked against the raw frame so one error does not hide others.
            references[name] = frames[name]
    if failed:
        tables = [name for name in SCHEMAS if name in frames and name not in done]
        raise ValidationError(sorted(failed, key=lambda i: i.severity != "error"), omitted=omitted,
                              table=tables[0] if len(tables) == 1 else None)
    return done


def format_report(issues: list[Issue], omitted: int = 0, lang: str = "both") -> str:
    """One line per issue ("error: ..." / "warning: ..."), errors first; a last line counts omitted ones.

    `lang`: "both" (English and Chinese on each line, what the CLI prints), "en" or "zh"."""
    ordered = [i for i in issues if i.severity == "error"] + [i for i in issues if i.severity != "error"]
    lines = [f"{i.severity}: {i.message(lang)}" for i in ordered]
    if omitted:
        en, zh = f"... and {omitted} more issues not shown", f"……另有 {omitted} 个问题未列出"
        lines.append(zh if lang == "zh" else en if lang == "en" else f"{en} / {zh}")
    return "\n".join(lines)


def check_table(table: str) -> TableSchema:
    """The schema of contract table `table`; TalentcastError (bilingual, naming the known tables) otherwise."""
    try:
        return get_schema(table)
    except KeyError:
        raise TalentcastError(f"unknown table '{table}'; known tables: {', '.join(SCHEMAS)}",
                              f"未知的表“{table}”；可用的表：{', '.join(SCHEMAS)}") from None


# --------------------------------------------------------------------------------------------------
# Column-level checks


def _check_columns(schema: TableSchema, raw: pd.DataFrame, issues: _Issues) -> set[str]:
    names = list(raw.columns)
    expected = schema.column_names
    expected_text = ", ".join(expected)
    chinese = COLUMN_NAMES_ZH.get(schema.name, {})
    expected_zh = "、".join(f"{c}（{chinese[c][0]}）" if chinese.get(c) else c for c in expected)
    seen: set[str] = set()
    for name in names:
        if name in seen and name != "":  # empty header cells are reported as unexpected columns
            issues.add("column appears more than once in the header", column=name,
                       reason_zh="该列在表头中出现了不止一次")
        seen.add(name)
    missing = [c for c in schema.required_columns if c not in seen]
    extra = [c for c in names if c not in expected]
    header_row = _header_row_below(raw, missing, header_aliases(schema.name)) if missing else None
    if header_row is not None:
        # Offices often put a title (e.g. "2023年柳州市分行业就业人员") above the real header.
        issues.add(f"the column names are on row {header_row}, not row 1: delete the {header_row - 1} row(s) "
                   f"above them; expected columns: {expected_text}",
                   reason_zh=f"列名在第 {header_row} 行而不是第 1 行：请删除其上方的 {header_row - 1} 行；"
                             f"应有的列：{expected_zh}")
        return set()
    if missing:
        missing_zh = "、".join(f"{c}（{chinese[c][0]}）" if chinese.get(c) else c for c in missing)
        issues.add(f"missing column(s) {', '.join(missing)}; expected columns: {expected_text}",
                   reason_zh=f"缺少列：{missing_zh}；应有的列：{expected_zh}")
    if extra:
        # "Year" or "graduates employed" for a missing "year" / "graduates_employed": say which was meant.
        folded = {c.lower().replace(" ", "_"): c for c in expected if c not in seen}
        aliases = header_aliases(schema.name)

        def shown(name: str) -> tuple[str, str]:
            meant = folded.get(name.lower().replace(" ", "_"))
            if meant:
                return f"{name} (did you mean {meant}?)", f"{name}（是否应为 {meant}？）"
            # "就业人数(万人)": a Chinese header with a unit; the unit may differ from the contract's.
            base = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", name)
            meant = aliases.get(base)
            if base != name and meant and meant not in seen:
                unit = schema.column(meant).unit
                return ((f"{name} (did you mean {meant}? give the values in {unit or 'the contract units'} "
                         f"and name the column {meant} or {base})"),
                        (f"{name}（是否应为 {meant}？请按 {unit or '约定的单位'} 填写，并把列名写作 {meant} 或 "
                         f"{base}）"))
            return name or "(empty header)", name or "（空表头）"

        hints = [shown(c) for c in dict.fromkeys(extra)]
        issues.add(f"unexpected column(s) {', '.join(en for en, _ in hints)}; expected columns: {expected_text}",
                   reason_zh=f"多余的列：{'、'.join(zh for _, zh in hints)}；应有的列：{expected_zh}")
    duplicated = {n for n in names if names.count(n) > 1}
    return {c for c in expected if c in seen and c not in duplicated}


def _header_row_below(raw: pd.DataFrame, missing: list[str], aliases: dict[str, str], look: int = 10
                      ) -> int | None:
    """Spreadsheet row (3..) among the first data rows that holds all the missing column names, if any."""
    for position in range(min(look, len(raw))):
        cells = {aliases.get(_header(v), _header(v)) for v in raw.iloc[position].to_numpy()}
        if set(missing) <= cells:
            return position + FIRST_DATA_ROW
    return None


def _check_column(column: Column, values: pd.Series, text: pd.Series, issues: _Issues, table: str = ""
                  ) -> tuple[pd.Series, np.ndarray]:
    """Type one column (`values` as written, `text` normalised); report missing, types, bounds, choices."""
    missing = (text == "").to_numpy()
    positions = _positions(values)
    if column.required and missing.any():
        bad = missing
        issues.add_rows(positions[bad], column.name, values[bad], "required value is missing",
                        reason_zh="缺少必填值")

    if column.dtype in ("int", "float"):
        typed, ok = _parse_number(column, text, missing, values, positions, issues)
    elif column.dtype == "period":
        typed, ok = _parse_period(column, text, missing, values, positions, issues)
    elif column.dtype == "bool":
        flags = _lookup(text, _BOOLEAN)
        is_true, is_false = (flags == True).to_numpy(), (flags == False).to_numpy()  # noqa: E712
        ok = is_true | is_false
        bad = ~ok & ~missing
        issues.add_rows(positions[bad], column.name, values[bad], "expected true or false (是 / 否)",
                        reason_zh="应为“是”或“否”（true / false）")
        typed = pd.Series(np.where(is_true, True, np.where(is_false, False, None)), index=values.index,
                          dtype="boolean")
    else:
        typed = text.where(~missing, None)
        ok = ~missing
    if column.choices is not None:
        # Aliases (省 -> province, 高职 -> 高职专科, ...) become the canonical value before the check.
        lookup = choice_lookup(table, column.name) if table in SCHEMAS else {value_key(c): c for c in column.choices}
        canonical = _lookup(text, lookup)
        bad = ok & canonical.isna().to_numpy()
        allowed = choices_text(table, column.name) if table in SCHEMAS else ", ".join(column.choices)
        allowed_zh = choices_text(table, column.name, separator="、") if table in SCHEMAS else "、".join(column.choices)
        issues.add_rows(positions[bad], column.name, values[bad], f"not one of the allowed values: {allowed}",
                        reason_zh=f"不是允许的取值：{allowed_zh}")
        ok = ok & ~bad
        if column.dtype == "str":
            typed = canonical.where(ok, None)
    return typed, ok


def _lookup(text: pd.Series, mapping: Mapping[str, object]) -> pd.Series:
    """Each value's entry in `mapping` (keys are `value_key`s), NaN where it has none; by distinct value."""
    found = {v: mapping.get(value_key(v)) for v in pd.unique(text.to_numpy())}
    return pd.Series([found[v] for v in text.to_numpy()], index=text.index, dtype=object)


def _parse_number(column: Column, text: pd.Series, missing: np.ndarray, values: pd.Series,
                  positions: np.ndarray, issues: _Issues) -> tuple[pd.Series, np.ndarray]:
    cleaned = text
    has_comma = np.fromiter(("," in v for v in text.to_numpy()), dtype=bool, count=len(text))
    if has_comma.any():
        with_comma = text.loc[has_comma]
        thousands = with_comma.str.fullmatch(_THOUSANDS).to_numpy()
        cleaned = text.copy()
        cleaned.loc[with_comma.index[thousands]] = with_comma.loc[thousands].str.replace(",", "", regex=False)
    # Python's float() (what astype uses) rounds correctly, so typed values equal what the user wrote;
    # pandas' to_numeric can be off in the last digit, so it only finds the unparseable cells.
    try:
        numbers = cleaned.where(~missing, "nan").astype("float64")
    except (TypeError, ValueError):  # some cell is not a number: parse cell by cell, NaN where it fails
        numbers = pd.Series([_float_or_nan(v) for v in cleaned.where(~missing, "nan").to_numpy()],
                            index=cleaned.index, dtype="float64")
    array = numbers.to_numpy()
    finite = np.isfinite(array)
    # "nan", "inf", "-Infinity" and numbers too large for a float (1e999) parse, but are no count of anything:
    # say so, with the column's range, rather than "expected a number".
    not_finite = ~missing & np.isinf(array)
    unparsed = np.flatnonzero(~missing & np.isnan(array))  # "nan" itself, or text that is no number at all
    text_values = cleaned.to_numpy()
    not_finite[unparsed] = [text_values[i].lower().lstrip("+-") in _NON_FINITE_WORDS for i in unparsed]
    span, span_zh = range_text(column)
    issues.add_rows(positions[not_finite], column.name, values[not_finite],
                    f"not a finite number; allowed: {span}", reason_zh=f"不是有限的数值；允许范围：{span_zh}")
    wrong = ~missing & ~finite & ~not_finite
    if column.dtype == "int":
        wrong |= ~missing & finite & (np.mod(np.where(finite, array, 0), 1) != 0)
        expected, expected_zh = "expected an integer", "应为整数"
    else:
        expected, expected_zh = "expected a number", "应为数字"
    issues.add_rows(positions[wrong], column.name, values[wrong], expected, reason_zh=expected_zh)
    ok = ~missing & ~wrong & ~not_finite
    _check_bounds(column, numbers, ok, values, positions, issues)
    # -0 is 0: adding 0.0 turns the IEEE negative zero into a plain zero before it is stored.
    return (numbers + 0.0).where(ok), ok


def range_text(column: Column) -> tuple[str, str]:
    """(English, Chinese) allowed range of a number column, with its unit: "0..1000000 persons"."""
    if column.unit == "year":
        return f"years {MIN_YEAR}..{MAX_YEAR}", f"{MIN_YEAR}..{MAX_YEAR} 年"
    low, high = _number_text(column.minimum), _number_text(column.maximum)
    unit, unit_zh = _unit_text(column)
    return f"{low}..{high}{unit}", f"{low}..{high}{unit_zh}"


def _unit_text(column: Column) -> tuple[str, str]:
    """(" persons", " 人"): a column's unit as it follows a number in a message ("" for unitless columns)."""
    if not column.unit:
        return "", ""
    return f" {column.unit}", f" {_UNITS_ZH.get(column.unit, column.unit)}"


def _check_bounds(column: Column, numbers: pd.Series, ok: np.ndarray, values: pd.Series,
                  positions: np.ndarray, issues: _Issues) -> None:
    array = numbers.to_numpy()
    if column.unit == "year":
        bad = ok & ((array < MIN_YEAR) | (array > MAX_YEAR))
        issues.add_rows(positions[bad], column.name, values[bad],
                        f"year out of range {MIN_YEAR}..{MAX_YEAR}", reason_zh=f"年份超出范围 {MIN_YEAR}..{MAX_YEAR}")
        ok &= ~bad
        return
    if column.minimum is not None:
        bad = ok & (array < column.minimum)
        reason = ("must not be negative" if column.minimum == 0
                  else f"below the minimum {_number_text(column.minimum)}")
        reason_zh = "不能为负数" if column.minimum == 0 else f"小于最小值 {_number_text(column.minimum)}"
        issues.add_rows(positions[bad], column.name, values[bad], reason, reason_zh=reason_zh)
        ok &= ~bad
    if column.maximum is not None:
        bad = ok & (array > column.maximum)
        # The contract's plausible maximum (features.contract): beyond it a value is a typo, a wrong unit or
        # an attack (9223372036854775808 would wrap to a negative int64), never data.
        unit, unit_zh = _unit_text(column)
        issues.add_rows(positions[bad], column.name, values[bad],
                        f"above the maximum {_number_text(column.maximum)}{unit}",
                        reason_zh=f"大于最大值 {_number_text(column.maximum)}{unit_zh}")
        ok &= ~bad


def _parse_period(column: Column, text: pd.Series, missing: np.ndarray, values: pd.Series,
                  positions: np.ndarray, issues: _Issues) -> tuple[pd.Series, np.ndarray]:
    parts = text.str.extract(f"^{_PERIOD}$")
    year = pd.to_numeric(parts["y"], errors="coerce")
    month = pd.to_numeric(parts["m"], errors="coerce")
    has_month = month.notna().to_numpy()
    well_formed = year.notna().to_numpy() & (~has_month | ((month >= 1) & (month <= 12)).to_numpy())
    wrong = ~missing & ~well_formed
    issues.add_rows(positions[wrong], column.name, values[wrong],
                    "expected a year-month like 2024-03 (or a year like 2024)",
                    reason_zh="应为年月（如 2024-03）或年份（如 2024）")
    ok = ~missing & well_formed
    year_values = year.to_numpy()
    out_of_range = ok & ((year_values < MIN_YEAR) | (year_values > MAX_YEAR))
    issues.add_rows(positions[out_of_range], column.name, values[out_of_range],
                    f"year out of range {MIN_YEAR}..{MAX_YEAR}", reason_zh=f"年份超出范围 {MIN_YEAR}..{MAX_YEAR}")
    ok &= ~out_of_range
    year_text = year.astype("Int64").astype(str)
    month_text = month.astype("Int64").astype(str).str.zfill(2)
    period = year_text.where(~has_month, year_text + "-" + month_text)
    return period.where(ok, None).astype(object), ok


def _final_column(column: Column, typed: pd.Series | None, index: pd.Index) -> pd.Series:
    if typed is None:  # optional column absent from the file
        typed = pd.Series([None] * len(index), index=index, dtype=object)
    if column.dtype == "int":
        return typed.astype("int64" if column.required else "Int64")
    if column.dtype == "float":
        return typed.astype("float64")
    if column.dtype == "bool":
        return typed.astype("boolean")
    return typed.astype(object).where(typed.notna(), None)


# --------------------------------------------------------------------------------------------------
# Table-level checks


@dataclass
class _Context:
    schema: TableSchema
    raw: pd.DataFrame  # text, non-blank rows, original index
    typed: dict[str, pd.Series]
    valid: dict[str, np.ndarray]
    positions: pd.Series  # data position (0-based) of each row, index = raw.index
    issues: _Issues
    references: dict[str, pd.DataFrame]

    def has(self, *columns: str) -> bool:
        return all(c in self.typed for c in columns)

    def all_valid(self, *columns: str) -> np.ndarray:
        mask = np.ones(len(self.raw), dtype=bool)
        for c in columns:
            mask &= self.valid[c]
        return mask

    def frame(self, columns: list[str], mask: np.ndarray) -> pd.DataFrame:
        """Typed values of `columns` on rows where `mask`, with a `_pos` column (0-based position)."""
        out = pd.DataFrame({c: self.typed[c] for c in columns}).loc[mask]
        out["_pos"] = self.positions.loc[mask].to_numpy()
        return out

    def numbers(self, column: str) -> np.ndarray:
        """Typed float values of a numeric column (NaN where missing, invalid or the column is absent)."""
        if column not in self.typed:
            return np.full(len(self.raw), np.nan)
        return self.typed[column].to_numpy(dtype="float64", na_value=np.nan)

    def row_numbers(self, positions) -> list[int]:
        return [int(p) + FIRST_DATA_ROW for p in positions]


def _check_key(ctx: _Context) -> None:
    key = list(ctx.schema.key)
    if not ctx.has(*key):
        return
    rows = ctx.frame(key, ctx.all_valid(*key))
    duplicated = rows.duplicated(subset=key, keep="first").to_numpy()
    if not duplicated.any():
        return
    first_pos = rows.groupby(key, sort=False)["_pos"].transform("min")
    dups = rows.loc[duplicated]
    firsts = first_pos.loc[duplicated].to_numpy()
    raw_keys = ctx.raw.loc[dups.index, key]
    values = [r[0] if len(key) == 1 else " | ".join(r) for r in raw_keys.itertuples(index=False)]
    label = ", ".join(key)
    ctx.issues.add_rows(dups["_pos"].to_numpy(), label, values,
                        lambda i: f"duplicate key ({label}): same as row {int(firsts[i]) + FIRST_DATA_ROW}",
                        reason_zh=lambda i: f"键（{label}）重复：与第 {int(firsts[i]) + FIRST_DATA_ROW} 行相同")


def _check_references(ctx: _Context) -> None:
    for column in ctx.schema.columns:
        if column.references is None or column.name not in ctx.typed:
            continue
        ref_table, ref_column = column.references.split(".", 1)
        if ref_table == ctx.schema.name:
            known = ctx.typed[ref_column] if ref_column in ctx.typed else None
            if known is None:
                continue
            known_values = set(known.dropna())
        else:
            ref_frame = ctx.references.get(ref_table)
            if ref_frame is None:
                ctx.issues.add(f"codes not checked against {column.references}: table '{ref_table}' "
                               f"was not supplied", column=column.name, severity="warning",
                               reason_zh=f"未对照 {column.references} 检查代码：没有提供“{ref_table}”表")
                continue
            if ref_column not in ref_frame.columns:
                ctx.issues.add(f"codes not checked against {column.references}: the supplied "
                               f"'{ref_table}' table has no column '{ref_column}'",
                               column=column.name, severity="warning",
                               reason_zh=f"未对照 {column.references} 检查代码：提供的“{ref_table}”表没有"
                                         f"“{ref_column}”列")
                continue
            known_values = set(_normalise(frame_to_text(ref_frame[[ref_column]])[ref_column]))
            known_values.discard("")
        mask = ctx.valid[column.name]
        unknown = mask & ~ctx.typed[column.name].isin(known_values).to_numpy()
        here = ref_table == ctx.schema.name
        reason = f"unknown code: not found in {column.references}" + (" in this file" if here else "")
        reason_zh = f"未知代码：{'本文件的 ' if here else ''}{column.references} 中没有这个代码"
        ctx.issues.add_rows(ctx.positions.to_numpy()[unknown], column.name,
                            ctx.raw[column.name].loc[unknown], reason, reason_zh=reason_zh)


def _check_weights_sum_to_one(ctx: _Context) -> None:
    if not ctx.has("major", "weight"):
        return
    rows = ctx.frame(["major", "weight"], ctx.all_valid("major", "weight"))
    # A major with an invalid weight was already reported; its sum would only repeat that error.
    invalid_majors = set(ctx.typed["major"].loc[~ctx.valid["weight"]].dropna())
    rows = rows.loc[~rows["major"].isin(invalid_majors)]
    sums = rows.groupby("major", sort=False)["weight"].sum()
    bad = sums[(sums - 1).abs() > WEIGHT_TOLERANCE]
    shown = bad.iloc[: ctx.issues.room()]
    ctx.issues.count_omitted(len(bad) - len(shown), severity="error")
    positions_by_major = rows.loc[rows["major"].isin(shown.index)].groupby("major", sort=False)["_pos"]
    positions_of = {major: group.to_numpy() for major, group in positions_by_major}
    for major, total in shown.items():
        numbers = ctx.row_numbers(positions_of[major])
        row_list = ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
        ctx.issues.add(f"weights of major '{major}' sum to {total:.6g}, not 1 (rows {row_list})",
                       row=numbers[0], column="weight", value=round(float(total), 9),
                       reason_zh=f"专业“{major}”的权重之和为 {total:.6g}，不等于 1（第 {row_list} 行）")


def _check_graduates_not_above_cohort(ctx: _Context) -> None:
    needed = ("school", "major", "year", "intake", "graduates")
    if not ctx.has(*needed):
        return
    majors = ctx.references.get("majors")
    if majors is None:
        ctx.issues.add("check graduates_not_above_cohort skipped: table 'majors' (duration_years) was not "
                       "supplied", column="graduates", severity="warning",
                       reason_zh="未做“毕业生不超过入学人数”检查：没有提供“majors”表（学制 duration_years）")
        return
    durations = _durations(majors)
    rows = ctx.frame(list(needed), ctx.all_valid("school", "major", "year"))
    intake = rows.loc[rows["intake"].notna(), ["school", "major", "year", "intake", "_pos"]]
    graduates = rows.loc[rows["graduates"].notna(), ["school", "major", "year", "graduates", "_pos"]]
    graduates = graduates.assign(duration=graduates["major"].map(durations)).dropna(subset=["duration"])
    graduates["cohort_year"] = graduates["year"] - graduates["duration"]
    merged = graduates.merge(intake.rename(columns={"year": "cohort_year", "_pos": "_cohort_pos"}),
                             on=["school", "major", "cohort_year"], how="inner")
    over = merged.loc[merged["graduates"] > merged["intake"]]
    if over.empty:
        return
    over = over.sort_values("_pos")
    ctx.issues.add_rows(
        over["_pos"].to_numpy(), "graduates", ctx.raw["graduates"].loc[over["_pos"].to_numpy()],
        lambda i: (f"graduates {_number_text(over['graduates'].iloc[i])} exceed the intake "
                   f"{_number_text(over['intake'].iloc[i])} of the cohort admitted in "
                   f"{int(over['cohort_year'].iloc[i])} (row {int(over['_cohort_pos'].iloc[i]) + FIRST_DATA_ROW}, "
                   f"duration {int(over['duration'].iloc[i])} years)"),
        reason_zh=lambda i: (f"毕业生 {_number_text(over['graduates'].iloc[i])} 人超过 "
                             f"{int(over['cohort_year'].iloc[i])} 年入学的招生数 "
                             f"{_number_text(over['intake'].iloc[i])} 人（第 "
                             f"{int(over['_cohort_pos'].iloc[i]) + FIRST_DATA_ROW} 行，学制 "
                             f"{int(over['duration'].iloc[i])} 年）"),
    )


def _check_outcomes_not_above_graduates(ctx: _Context) -> None:
    if "graduates" not in ctx.typed:
        return
    graduates = ctx.numbers("graduates")
    employed = ctx.numbers("graduates_employed")
    further = ctx.numbers("graduates_further_study")
    local = ctx.numbers("graduates_local")
    positions = ctx.positions.to_numpy()
    placed = np.nan_to_num(employed) + np.nan_to_num(further)
    over = ~np.isnan(graduates) & (~np.isnan(employed) | ~np.isnan(further)) & (placed > graduates)
    # Point at the employed count when there is one, else at the further-study count.
    for column, on_row in (("graduates_employed", ~np.isnan(employed)),
                           ("graduates_further_study", np.isnan(employed))):
        idx = np.flatnonzero(over & on_row)
        if len(idx) == 0:
            continue
        ctx.issues.add_rows(
            positions[idx], column, ctx.raw[column].iloc[idx],
            lambda i, idx=idx: (f"graduates_employed {_maybe(employed[idx[i]])} + graduates_further_study "
                                f"{_maybe(further[idx[i]])} = {_number_text(placed[idx[i]])} exceed graduates "
                                f"{_number_text(graduates[idx[i]])}"),
            reason_zh=lambda i, idx=idx: (f"就业人数 {_maybe(employed[idx[i]], '（空）')} + 升学人数 "
                                          f"{_maybe(further[idx[i]], '（空）')} = {_number_text(placed[idx[i]])}，"
                                          f"超过毕业生人数 {_number_text(graduates[idx[i]])}"),
        )
    idx_local = np.flatnonzero(~np.isnan(local) & ~np.isnan(employed) & (local > employed))
    if len(idx_local) == 0:
        return
    ctx.issues.add_rows(
        positions[idx_local], "graduates_local", ctx.raw["graduates_local"].iloc[idx_local],
        lambda i: (f"graduates_local {_number_text(local[idx_local[i]])} exceed graduates_employed "
                   f"{_number_text(employed[idx_local[i]])}"),
        reason_zh=lambda i: (f"本地就业人数 {_number_text(local[idx_local[i]])} 超过就业人数 "
                             f"{_number_text(employed[idx_local[i]])}"),
    )


def _check_series_gaps(ctx: _Context) -> None:
    series_columns = [c for c in ctx.schema.key if c != "year"]
    if not ctx.has(*series_columns, "year"):
        return
    rows = ctx.frame([*series_columns, "year"], ctx.all_valid(*series_columns, "year"))
    if rows.empty:
        return
    grouped = rows.groupby(series_columns, sort=True)["year"]
    stats = pd.DataFrame({"first": grouped.min(), "last": grouped.max(), "count": grouped.nunique()})
    gappy = stats.loc[stats["last"] - stats["first"] + 1 > stats["count"]]
    if gappy.empty:
        return
    names = "+".join(series_columns)
    # Messages only for the series the issue list still has room for; the rest are just counted.
    shown = gappy.iloc[: ctx.issues.room()]
    ctx.issues.count_omitted(len(gappy) - len(shown), severity="warning")
    if shown.empty:
        return
    shown_keys = shown.index.to_frame(index=False)
    years = rows.merge(shown_keys, on=series_columns, how="inner")
    present = years.groupby(series_columns, sort=True)["year"].agg(lambda s: set(s.astype(int)))
    for key, stat in shown.iterrows():
        first, last = int(stat["first"]), int(stat["last"])
        missing = [y for y in range(first, last + 1) if y not in present.loc[key]]
        label = "|".join(map(str, key)) if isinstance(key, tuple) else str(key)
        ctx.issues.add(
            f"series {names} {label} has no row for year(s) {_year_list(missing)} between {first} and {last}",
            column="year", severity="warning",
            reason_zh=f"序列 {names} {label} 在 {first} 至 {last} 年之间缺少 {_year_list(missing, '、')} 年的数据",
        )


TABLE_CHECKS: dict[str, Callable[[_Context], None]] = {
    "weights_sum_to_one": _check_weights_sum_to_one,
    "graduates_not_above_cohort": _check_graduates_not_above_cohort,
    "outcomes_not_above_graduates": _check_outcomes_not_above_graduates,
    "series_gaps": _check_series_gaps,
}
"""Table-level checks by the names used in `TableSchema.checks`."""


# --------------------------------------------------------------------------------------------------
# Helpers


def _durations(majors: pd.DataFrame) -> pd.Series:
    """Programme length per major code: duration_years, else the default of its level."""
    text = frame_to_text(majors)
    codes = text["code"].str.strip() if "code" in text else pd.Series(dtype=object)
    duration = pd.to_numeric(text["duration_years"], errors="coerce") if "duration_years" in text else (
        pd.Series(np.nan, index=text.index))
    if "level" in text:
        level = _lookup(_normalise(text["level"]), choice_lookup("majors", "level"))
        duration = duration.fillna(level.map(DEFAULT_DURATION_YEARS))
    out = pd.Series(duration.to_numpy(), index=codes.to_numpy()).dropna()
    return out[~out.index.duplicated()]


def _normalise(values: pd.Series, numeric: bool = False) -> pd.Series:
    """Cell text as validation reads it: stripped, full-width digits, letters and spaces as ASCII (and in
    number / period columns the full-width . , - + / too)."""
    # A list comprehension is several times faster than .str.strip() on object columns; ASCII text (the
    # usual case) needs no translation.
    table = _NUMERIC_WIDTH if numeric else _WIDTH
    return pd.Series([v.strip() if v.isascii() else v.translate(table).strip() for v in values.to_numpy()],
                     index=values.index, dtype=object)


def _header(name: object) -> str:
    """A header cell as matched against the contract: full-width forms as ASCII, whitespace runs (spaces,
    line breaks in a wrapped Excel cell) as one space."""
    return " ".join(str(name).translate(_WIDTH).split())


def _positions(values: pd.Series) -> np.ndarray:
    # The text frame has a RangeIndex and blank rows are dropped with .loc, so the index is the
    # 0-based data position of each row in the file.
    return values.index.to_numpy()


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _number_text(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _maybe(value: float, empty: str = "(empty)") -> str:
    return empty if np.isnan(value) else _number_text(value)


def _year_list(years: list[int], separator: str = ", ") -> str:
    shown = separator.join(map(str, years[:10]))
    more = (f" and {len(years) - 10} more" if separator == ", " else f" 等 {len(years)} 个") if len(years) > 10 else ""
    return shown + more
