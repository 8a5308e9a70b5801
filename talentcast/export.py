"""Exports of a run's results for people: CSV (UTF-8 with a BOM) and XLSX, built from the results contract.

Pure functions (frames and run metadata in, bytes out); `talentcast.service.Service.export` gathers the inputs,
and the CLI (`talentcast export`, `talentcast warnings -f xlsx`) and the API (`GET /v1/gaps?format=csv`, ...)
only hand its bytes on, so the same request gives the same bytes through either door.

What an export holds:
- the result rows in the order of their key (region, sector / school, major, year), every column of the
  results contract (`features.results`), with the name of each code beside it (`region_name`, `sector_name`,
  `school_name`, `major_name`, from the run's own input tables);
- warnings: `rules_fired` as text ("rule-a, rule-b") and `evidence` spread over one column per evidence key
  (`evidence.p_shortage`, ...), never a JSON blob;
- headers: Chinese (`features.results.headers_zh`) in the first row and the column names in the second
  (`lang="zh"`, the default), or the column names only, with English names of codes (`lang="en"`, for
  machines);
- XLSX also a sheet "说明 About": which run (id, time, scenario), the filters, each input table's dataset
  version and whether it is real or generated (the version's `synthetic` metadata), and every column's unit
  and meaning. XLSX bytes are reproducible (`features.xlsx.workbook_bytes`, stamped with the run's time).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from features.errors import TalentcastError
from features.results import NAMED_CODES, RESULT_SCHEMAS, headers_zh, result_schema
from features.xlsx import workbook_bytes

EXPORT_FORMATS = ("xlsx", "csv")
EXPORT_LANGUAGES = ("zh", "en")
# Export names -> result kinds ("forecasts" is the demand forecast, as in GET /v1/forecasts/demand).
EXPORT_KINDS: dict[str, str] = {"gaps": "gaps", "forecasts": "demand", "demand": "demand", "supply": "supply",
                                "warnings": "warnings"}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
ABOUT_SHEET = "说明 About"
FILTER_COLUMNS = ("region", "sector", "school", "major", "level")
UNITS_NOTE = ("Units 单位: persons 人 are head counts per year; ratios 供需比 are openings / graduate entrants; "
              "probabilities 概率 are shares of simulated futures in [0, 1].")

# Chinese names of the evidence keys the early-warning rules record (early_warning.core), for the headers.
_EVIDENCE_ZH = {
    "measure": "就业率口径", "current_intake": "当前招生数", "latest_intake_year": "最近招生年份",
    "outcome_year": "就业数据年份", "target_year": "毕业年份", "pressure_year": "压力指数年份",
    "pressure_median": "压力指数", "p_shortage": "短缺概率", "p_surplus": "过剩概率",
    "yield_per_place": "每个招生名额的本地就业人数", "graduates_employed_last": "最近一届就业人数",
    "extra_entrants_by_sector": "新增供给（分行业）", "employment_rate": "就业率", "years_below": "低于阈值的年数",
    "rank_percentile": "排名百分位", "pressure": "供需比", "intake_trend": "招生年均变化",
    "schools_offering": "开设学校数", "local_retention": "本地留存率", "intake": "招生数", "graduates": "毕业生数",
}


def export_kind(name: str) -> str:
    """The result kind of an export name (gaps, forecasts, supply, warnings); TalentcastError otherwise."""
    try:
        return EXPORT_KINDS[name]
    except KeyError:
        raise TalentcastError(f"unknown export {name!r}; use gaps, forecasts, supply or warnings",
                              f"未知的导出内容“{name}”；可选 gaps、forecasts、supply、warnings") from None


def check_format(fmt: str) -> str:
    if fmt not in EXPORT_FORMATS:
        raise TalentcastError(f"unknown export format {fmt!r}; use xlsx or csv",
                              f"未知的导出格式“{fmt}”；请使用 xlsx 或 csv")
    return fmt


def check_language(lang: str) -> str:
    if lang not in EXPORT_LANGUAGES:
        raise TalentcastError(f"unknown language {lang!r}; use zh (Chinese headers above the column names) or en",
                              f"未知的语言“{lang}”；请使用 zh（中文表头加英文列名）或 en")
    return lang


def utc(stamp: dt.datetime | None) -> dt.datetime | None:
    """A time as naive UTC, to the second (aware times are converted)."""
    if stamp is None:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return stamp.replace(microsecond=0)


def _time_text(stamp: dt.datetime | None) -> str:
    return f"{utc(stamp):%Y-%m-%d %H:%M:%S} UTC" if stamp else ""


def export_filename(kind: str, fmt: str, run_id: int) -> str:
    """talentcast-<kind>-run-<id>.<fmt>, the name the CLI writes and the API suggests."""
    return f"talentcast-{kind}-run-{int(run_id)}.{fmt}"


# ------------------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class VersionInfo:
    """One input table version a run used (for the About sheet)."""

    table: str
    version: int
    rows: int | None = None
    source_file: str = ""
    created_at: dt.datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def data_label(self) -> str:
        """real / generated / partly generated, from the version's `synthetic` metadata."""
        synthetic = self.metadata.get("synthetic")
        if synthetic is True:
            rows = self.metadata.get("synthetic_rows")
            return f"partly generated 部分生成 ({rows})" if rows else "generated 生成"
        if synthetic is False:
            return "real 真实"
        return "not marked as generated 未标注为生成"


@dataclass(frozen=True)
class RunInfo:
    """The run an export comes from (a RunMeta's fields)."""

    run_id: int
    created_at: dt.datetime | None = None
    scenario_id: str | None = None
    scenario: Mapping[str, Any] = field(default_factory=dict)
    horizon: int | None = None
    mlflow_run_id: str | None = None
    notes: str | None = None

    @classmethod
    def of(cls, run: Any) -> "RunInfo":
        return cls(run_id=int(run.run_id), created_at=run.created_at, scenario_id=run.scenario_id,
                   scenario=dict(run.scenario or {}), horizon=run.horizon, mlflow_run_id=run.mlflow_run_id,
                   notes=run.notes)


def code_names(tables: Mapping[str, pd.DataFrame], lang: str = "zh") -> dict[str, dict[str, str]]:
    """{code column: {code: name}} from the input tables (regions, sectors, schools, majors) in `lang`
    (the other language where a name is missing)."""
    out: dict[str, dict[str, str]] = {}
    for column, table in NAMED_CODES.items():
        frame = tables.get(table)
        if frame is None or frame.empty or "code" not in frame.columns:
            out[column] = {}
            continue
        zh = frame["name"] if table == "schools" else frame.get("name_zh")
        en = frame.get("name_en")
        names = {}
        for i, code in enumerate(frame["code"].astype(str)):
            z = _text(zh.iloc[i]) if zh is not None else ""
            e = _text(en.iloc[i]) if en is not None else ""
            names[code] = (e or z) if lang == "en" else (z or e)
        out[column] = names
    return out


# ------------------------------------------------------------------------------------------------ table


@dataclass
class ExportTable:
    """A result table ready to write: rows, headers in both languages and what each column means."""

    kind: str
    frame: pd.DataFrame
    headers_zh: list[str]
    headers_en: list[str]
    units: list[str]
    meanings: list[str]

    @property
    def title(self) -> str:
        return f"{result_schema(self.kind).title_zh} {self.kind}"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _evidence_header(key: str) -> str:
    found = re.fullmatch(r"employment_rate_(\d{4})", key)
    if found:
        return f"依据：{found.group(1)}年就业率"
    base, _, params = key.partition("[")
    zh = _EVIDENCE_ZH.get(base)
    return f"依据：{zh}" + (f"[{params}" if params else "") if zh else f"依据：{key}"


def _evidence_cell(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def export_table(kind: str, results: pd.DataFrame, names: Mapping[str, Mapping[str, str]]) -> ExportTable:
    """Rows of result `kind` for an export: key order, names beside codes, evidence spread over columns.

    Args:
        kind: a result kind (demand, supply, gaps, warnings, ...).
        results: the stored (or computed) rows, already filtered.
        names: {code column: {code: name}} (see `code_names`).
    """
    schema = result_schema(kind)
    zh = headers_zh(kind)
    frame = results.reset_index(drop=True).copy()
    for column in schema.code_columns:
        if column in frame.columns:
            frame[column] = frame[column].astype(str)
    key = [c for c in schema.key if c in frame.columns]
    if key and len(frame):
        frame = frame.sort_values(key, kind="stable").reset_index(drop=True)
    columns: dict[str, list] = {}
    headers_zh_, units, meanings = [], [], []

    def add(name: str, values: list, header_zh: str, unit: str, meaning: str) -> None:
        columns[name] = values
        headers_zh_.append(header_zh)
        units.append(unit)
        meanings.append(meaning)

    for column in schema.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name].tolist()
        if column.name == "evidence":
            keys = list(dict.fromkeys(k for record in values if isinstance(record, Mapping) for k in record))
            for k in keys:
                add(f"evidence.{k}", [_evidence_cell(r.get(k)) if isinstance(r, Mapping) else None for r in values],
                    _evidence_header(k), "", f"evidence: {k} (an indicator value behind the decision)")
            continue
        if column.name == "rules_fired":
            values = [", ".join(map(str, v)) if isinstance(v, (list, tuple)) else _text(v) for v in values]
        add(column.name, values, zh[column.name], column.unit, column.description)
        if column.name in NAMED_CODES:
            lookup = names.get(column.name, {})
            add(f"{column.name}_name", [lookup.get(str(code), "") for code in values], zh[f"{column.name}_name"],
                "", f"name of the {column.name} code in the run's {NAMED_CODES[column.name]} table")
    out = pd.DataFrame(columns) if columns else pd.DataFrame()
    return ExportTable(kind, out, headers_zh_, list(columns), units, meanings)


def filter_results(kind: str, frame: pd.DataFrame, filters: Mapping[str, Any] | None = None,
                   region_scope: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """Rows matching `filters` ({region, sector, school, major, level: value; year_from, year_to: int}) and, when
    given, the caller's region scope (a predicate on region codes, as the API's JSON routes apply it)."""
    schema = result_schema(kind)
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    allowed = [c for c in FILTER_COLUMNS if c in schema.column_names] + ["year_from", "year_to"]
    wrong = [k for k in filters if k not in allowed]
    if wrong:
        shown = ", ".join([c for c in allowed if not c.startswith("year_")] + [schema.year_column])
        raise TalentcastError(
            f"{kind} cannot be filtered by {', '.join(wrong)} ({kind} has no such column); filters for {kind}: "
            f"{shown}",
            f"{kind} 没有 {', '.join(wrong)} 列，不能按它筛选；可用的筛选：{shown}")
    if frame.empty:
        return frame
    mask = pd.Series(True, index=frame.index)
    for column, value in filters.items():
        if column in FILTER_COLUMNS:
            mask &= frame[column].astype(str) == str(value)
    years = frame[schema.year_column]
    if filters.get("year_from") is not None:
        mask &= years >= int(filters["year_from"])
    if filters.get("year_to") is not None:
        mask &= years <= int(filters["year_to"])
    if region_scope is not None and "region" in frame.columns:
        allowed_regions = {code for code in frame["region"].astype(str).unique() if region_scope(code)}
        mask &= frame["region"].astype(str).isin(allowed_regions)
    return frame[mask]


def filters_text(filters: Mapping[str, Any] | None, scope_label: str | None = None) -> str:
    """"region = 450200; years 2025..2027" (or "none 无")."""
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    parts = [f"{k} = {filters[k]}" for k in FILTER_COLUMNS if k in filters]
    low, high = filters.get("year_from"), filters.get("year_to")
    if low is not None or high is not None:
        parts.append(f"year {low}" if low == high else f"years {low if low is not None else ''}.."
                     f"{high if high is not None else ''}")
    if scope_label:
        parts.append(scope_label)
    return "; ".join(parts) or "none 无"


# ------------------------------------------------------------------------------------------------ writers


def _csv_cell(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(round(value, 6))
    if hasattr(value, "item"):  # numpy scalars
        return _csv_cell(value.item())
    return str(value)


def write_csv(table: ExportTable, lang: str = "zh") -> bytes:
    """UTF-8 with a BOM (Excel shows the Chinese); lang zh: Chinese header row + column-name row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if lang == "zh":
        writer.writerow(table.headers_zh)
    writer.writerow(table.headers_en)
    for row in table.frame.itertuples(index=False):
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


_NUMBER_FORMATS = {"persons": "#,##0", "probability": "0.0%"}


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XLSX cells cannot hold


def _xlsx_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, str) and _ILLEGAL_XML.search(value):
        return _ILLEGAL_XML.sub("\ufffd", value)  # shown as �, never an error
    return value


def write_xlsx(table: ExportTable, about: Sequence[Sequence[Any]], lang: str = "zh",
               stamp: dt.datetime | None = None) -> bytes:
    """One sheet with the table (header rows frozen) and the sheet "说明 About" with `about`'s rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    header_rows = [table.headers_zh, table.headers_en] if lang == "zh" else [table.headers_en]
    for header in header_rows:
        sheet.append(header)
    bold = Font(bold=True)
    for r in range(1, len(header_rows) + 1):
        for cell in sheet[r]:
            cell.font = bold
    formats = [_NUMBER_FORMATS.get(unit) for unit in table.units]
    first = len(header_rows) + 1
    for r, row in enumerate(table.frame.itertuples(index=False), start=first):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=_xlsx_value(value))
            if formats[c - 1] and isinstance(cell.value, (int, float)):
                cell.number_format = formats[c - 1]
    for c, (zh, en) in enumerate(zip(table.headers_zh, table.headers_en), start=1):
        width = max(len(zh.encode("gbk", errors="replace")), len(en), 8) + 2
        sheet.column_dimensions[get_column_letter(c)].width = min(width, 48)
    sheet.freeze_panes = sheet.cell(row=first, column=1).coordinate

    sheet_about = workbook.create_sheet(ABOUT_SHEET)
    for row in about:
        sheet_about.append([_xlsx_value(v) for v in row])
        if row and len(row) == 1 and row[0]:
            sheet_about.cell(row=sheet_about.max_row, column=1).font = bold
    for letter, width in zip("ABCDEF", (30, 34, 14, 30, 36, 22)):
        sheet_about.column_dimensions[letter].width = width
    return workbook_bytes(workbook, stamp)


def about_rows(table: ExportTable, run: RunInfo, versions: Sequence[VersionInfo], filters: str,
               notes: Sequence[str] = ()) -> list[list[Any]]:
    """The "说明 About" sheet: the run, the filters, the input versions (real or generated), the columns."""
    scenario = "baseline 基准" if not run.scenario_id else (
        f"{run.scenario_id}" + (f" ({run.scenario.get('name')})" if run.scenario.get("name") else ""))
    generated = [v.table for v in versions if v.metadata.get("synthetic") is True]
    rows: list[list[Any]] = [
        [f"talentcast 导出 export: {table.title}"],
        ["运行 run", run.run_id],
        ["运行时间 created", _time_text(run.created_at)],
        ["情景 scenario", scenario],
        ["预测期 horizon (years)", run.horizon],
        ["MLflow run", run.mlflow_run_id or ""],
        ["筛选 filters", filters],
        ["行数 rows", len(table.frame)],
    ]
    if run.notes:
        rows.append(["运行备注 run notes", run.notes])
    for note in notes:
        rows.append(["来源 source", note])
    rows.append(["生成的数据 generated inputs",
                 ", ".join(generated) + " (GENERATED, not observed 生成数据，非实际观测)" if generated
                 else "none 无"])
    rows += [[], ["数据版本 dataset versions (the inputs of this run)"],
             ["表 table", "数据 data", "版本 version", "行数 rows", "来源文件 source file", "导入时间 stored"]]
    for v in versions:
        rows.append([v.table, v.data_label, v.version, v.rows, v.source_file, _time_text(v.created_at)])
    rows += [[], ["列说明 columns (results contract, docs/results-contract.md)"],
             ["中文表头 header", "列 column", "单位 unit", "说明 meaning"]]
    for zh, en, unit, meaning in zip(table.headers_zh, table.headers_en, table.units, table.meanings):
        rows.append([zh, en, unit, meaning])
    rows += [[], [UNITS_NOTE], [RESULT_SCHEMAS[table.kind].description]]
    return rows


def build_export(kind: str, results: pd.DataFrame, fmt: str, *, run: RunInfo, tables: Mapping[str, pd.DataFrame],
                 versions: Sequence[VersionInfo] = (), lang: str = "zh", filters: str = "none 无",
                 notes: Sequence[str] = ()) -> bytes:
    """The export file of `results` (already filtered) as bytes: CSV or XLSX (with the About sheet)."""
    check_format(fmt)
    check_language(lang)
    table = export_table(kind, results, code_names(tables, lang))
    if fmt == "csv":
        return write_csv(table, lang)
    return write_xlsx(table, about_rows(table, run, versions, filters, notes), lang, stamp=utc(run.created_at))
