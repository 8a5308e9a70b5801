"""Fill-in templates of the input tables, built from the data contract (`talentcast template TABLE ...`).

A template is what a school or a bureau fills in and hands back to `talentcast validate` / `ingest` (or the
upload `POST /v1/datasets/{table}`): one header row whose cells carry the Chinese and the English name of each
column ("学校代码 code", read back as the column by `features.contract.header_aliases`), and example rows that
pass validation as they are (so a filled template round-trips: fill, validate, ingest).

- XLSX: the sheet named after the table (the one the reader takes), header + example rows; each header cell
  has a note (required or optional, type, unit, allowed values, references, meaning), required headers are
  shaded, choice columns offer their values in a drop-down list (other accepted spellings still pass, with a
  warning from Excel), code columns are formatted as text so leading zeros stay; a second sheet "说明 About"
  explains the table and each column in Chinese and English.
- CSV: `<table>.csv` in UTF-8 with a BOM (Excel opens it with Chinese intact), header + example rows only,
  so it reads back cleanly; the notes go to `<table>.README.txt` beside it.

Everything here is pure (bytes in memory); the CLI writes the files.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from features.contract import (
    BOOLEAN_VALUES,
    COLUMN_NAMES_ZH,
    SCHEMAS,
    TABLE_NAMES,
    VALUE_ALIASES,
    Column,
    TableSchema,
    CHECK_DESCRIPTIONS,
    MAX_YEAR,
    MIN_YEAR,
    template_header,
)
from features.errors import TalentcastError
from features.xlsx import workbook_bytes

TEMPLATE_FORMATS = ("xlsx", "csv")
ABOUT_SHEET = "说明 About"
TEXT_ROWS = 500  # rows below the header whose code cells are formatted as text in the XLSX template

# Example rows: consistent with each other (ingested in contract order they all pass: the enrolment row names
# the school, the major and the region of the rows before it) and with the embedded Liuzhou data. Choice
# values are written as people write them (省, 市, 高职) to show that those are accepted.
EXAMPLES: dict[str, list[dict[str, object]]] = {
    "regions": [
        {"code": "450000", "name_zh": "广西壮族自治区", "name_en": "Guangxi", "parent": "", "level": "省"},
        {"code": "450200", "name_zh": "柳州市", "name_en": "Liuzhou", "parent": "450000", "level": "市"},
    ],
    "sectors": [
        {"code": "C", "name_zh": "制造业", "name_en": "Manufacturing", "parent": ""},
        {"code": "C36", "name_zh": "汽车制造业", "name_en": "Manufacture of automobiles", "parent": "C"},
    ],
    "employment": [{"region": "450200", "sector": "C36", "year": 2024, "employed": 81000}],
    "vacancies": [{"region": "450200", "sector": "C36", "period": "2024-03", "vacancies": 1200,
                   "job_seekers": 800}],
    "majors": [{"code": "460701", "name_zh": "汽车制造与试验技术",
                "name_en": "Automobile Manufacturing and Testing Technology", "level": "高职专科",
                "category": "4607汽车制造类", "duration_years": 3}],
    "schools": [{"code": "S001", "name": "柳州示例职业技术学院", "name_en": "Liuzhou Example Vocational College",
                 "region": "450200", "type": "高职"}],
    "enrolment": [{"school": "S001", "major": "460701", "year": 2024, "intake": 120, "graduates": 100,
                   "graduates_employed": 80, "graduates_further_study": 10, "graduates_local": 50}],
    "major_sector_map": [{"major": "460701", "sector": "C36", "weight": 1}],
    "sector_parameters": [{"sector": "C36", "replacement_rate": 0.03, "graduate_entry_share": 0.5}],
}

_TYPE = {"str": ("文本", "text"), "int": ("整数", "integer"), "float": ("数字", "number"),
         "period": ("年或年月", "year or year-month"), "bool": ("是/否", "yes/no")}
_UNIT_ZH = {"persons": "人", "year": "年", "years": "年", "1/year": "每年比例"}


@dataclass(frozen=True)
class ColumnNote:
    """What a template says about one column (the header note, the About sheet, the README)."""

    header: str
    name: str
    zh: str
    type_text: str
    unit: str
    required: bool
    allowed: str
    references: str
    description: str

    @property
    def required_text(self) -> str:
        return "必填 required" if self.required else "选填 optional"

    def note(self) -> str:
        lines = [f"{self.header}: {self.required_text}", f"类型 type: {self.type_text}"]
        if self.unit:
            lines.append(f"单位 unit: {self.unit}")
        if self.allowed:
            lines.append(f"取值 allowed: {self.allowed}")
        if self.references:
            lines.append(f"参照 must exist in: {self.references}")
        lines.append(self.description)
        return "\n".join(lines)


def check_tables(tables: list[str] | tuple[str, ...]) -> list[str]:
    """The tables asked for (all, in contract order, when none); TalentcastError naming the known ones."""
    unknown = [t for t in tables if t not in SCHEMAS]
    if unknown:
        raise TalentcastError(f"unknown table(s) {', '.join(unknown)}; known tables: {', '.join(TABLE_NAMES)}",
                              f"未知的表：{', '.join(unknown)}；可用的表：{', '.join(TABLE_NAMES)}")
    return list(dict.fromkeys(tables)) or list(TABLE_NAMES)


def check_format(fmt: str) -> str:
    if fmt not in TEMPLATE_FORMATS:
        raise TalentcastError(f"unknown template format {fmt!r}; use xlsx or csv",
                              f"未知的模板格式“{fmt}”；请使用 xlsx 或 csv")
    return fmt


def _allowed(table: str, column: Column) -> str:
    if column.choices is not None:
        variants = VALUE_ALIASES.get(table, {}).get(column.name, {})
        return " / ".join(f"{c} ({', '.join(variants[c][:3])})" if variants.get(c) else c for c in column.choices)
    if column.dtype == "bool":
        return " / ".join(", ".join(BOOLEAN_VALUES[flag][:6]) for flag in (True, False))
    if column.dtype == "period":
        return f"2024 或 2024-03 ({MIN_YEAR}..{MAX_YEAR})"
    if column.unit == "year":
        return f"{MIN_YEAR}..{MAX_YEAR}"
    low, high = column.minimum, column.maximum
    text = lambda v: str(int(v)) if float(v).is_integer() else f"{v:g}"  # noqa: E731
    if low is not None and high is not None:
        return f"{text(low)}..{text(high)}"
    if low is not None:
        return f">= {text(low)}"
    if high is not None:
        return f"<= {text(high)}"
    return ""


def column_notes(table: str) -> list[ColumnNote]:
    """One note per contract column of `table`, in contract order."""
    schema = SCHEMAS[table]
    chinese = COLUMN_NAMES_ZH.get(table, {})
    notes = []
    for column in schema.columns:
        zh_type, en_type = _TYPE.get(column.dtype, (column.dtype, column.dtype))
        unit = f"{_UNIT_ZH.get(column.unit, column.unit)} {column.unit}" if column.unit else ""
        notes.append(ColumnNote(
            header=template_header(table, column.name), name=column.name, zh=" / ".join(chinese.get(column.name, ())),
            type_text=f"{zh_type} {en_type}", unit=unit, required=column.required,
            allowed=_allowed(table, column), references=column.references or "", description=column.description))
    return notes


def _instructions(schema: TableSchema) -> list[str]:
    table = schema.name
    order = ", ".join(TABLE_NAMES)
    return [
        f"{table}: {schema.description}",
        f"每行唯一的键 key (unique per row): {', '.join(schema.key)}",
        *(f"检查 check {check}: {CHECK_DESCRIPTIONS.get(check, '')}" for check in schema.checks),
        "填写方法：保留第 1 行表头（中文名或英文名都能识别），把示例行换成你的数据，每行一条记录；代码按文本填写（保留开头的 0）；"
        "必填列不能留空。",
        "How to fill in: keep the header row (Chinese or English names are both read), replace the example "
        "row(s) with your data, one record per row; write codes as text (leading zeros stay); required "
        "columns must not be empty.",
        f"检查并导入 check and store: `talentcast validate {table} FILE`, then `talentcast ingest {table} FILE` "
        f"(API: POST /v1/datasets/{table}).",
        f"导入顺序 ingest order (a table's codes are checked against the tables before it): {order}",
    ]


def template_rows(table: str) -> list[list[object]]:
    """Header row (bilingual) and the example rows of `table`'s template, as cell values."""
    schema = SCHEMAS[table]
    rows: list[list[object]] = [[template_header(table, c.name) for c in schema.columns]]
    for example in EXAMPLES.get(table, []):
        rows.append([example.get(c.name, "") for c in schema.columns])
    return rows


def template_csv(table: str) -> bytes:
    """The CSV template: UTF-8 with a BOM, the bilingual header and the example rows, nothing else."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in template_rows(table):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def template_readme(table: str) -> bytes:
    """The notes that go beside a CSV template (`<table>.README.txt`, UTF-8 with a BOM)."""
    schema = SCHEMAS[table]
    lines = [f"talentcast 数据模板 data template: {table}.csv", "", *_instructions(schema), "",
             "列 Columns:"]
    for note in column_notes(table):
        lines += ["", *[("  " + line) for line in note.note().splitlines()]]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def template_xlsx(table: str) -> bytes:
    """The XLSX template of `table`: data sheet (named `table`) and the sheet "说明 About"."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    schema = SCHEMAS[table]
    notes = column_notes(table)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    optional_fill = PatternFill("solid", fgColor="EDEDED")
    rows = template_rows(table)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=None if value == "" else value)
            column = schema.columns[c - 1]
            if r == 1:
                cell.font = Font(bold=True)
                cell.fill = required_fill if column.required else optional_fill
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                comment = Comment(notes[c - 1].note(), "talentcast")
                comment.width, comment.height = 320, 160
                cell.comment = comment
            elif column.dtype in ("str", "period"):
                cell.number_format = "@"
    for c, column in enumerate(schema.columns, start=1):
        letter = get_column_letter(c)
        width = max(len(notes[c - 1].header.encode("gbk", errors="replace")),
                    *(len(str(row[c - 1]).encode("gbk", errors="replace")) for row in rows[1:]), 8)
        sheet.column_dimensions[letter].width = min(width + 2, 40)
        if column.dtype in ("str", "period"):
            sheet.column_dimensions[letter].number_format = "@"  # new cells typed in the column stay text
        if column.choices is not None:
            variants = VALUE_ALIASES.get(table, {}).get(column.name, {})
            offered = list(dict.fromkeys([*column.choices, *(a for c_ in column.choices
                                                             for a in variants.get(c_, ())[:1])]))
            offered.sort(key=str.isascii)  # Chinese first: 省, 市, 区, province, city, district
            validation = DataValidation(type="list", formula1='"' + ",".join(offered) + '"', allow_blank=True,
                                        errorStyle="warning", showErrorMessage=True,
                                        errorTitle="取值 allowed values",
                                        error=f"{column.name}: {notes[c - 1].allowed}")
            validation.add(f"{letter}2:{letter}{TEXT_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"

    about = workbook.create_sheet(ABOUT_SHEET)
    about.append([f"talentcast 数据模板 data template: {table}"])
    about["A1"].font = Font(bold=True, size=13)
    for line in _instructions(schema):
        about.append([line])
    about.append([])
    header = ["表头 header", "列 column", "中文名 Chinese names", "类型 type", "单位 unit", "必填 required",
              "取值 allowed", "参照 must exist in", "说明 description"]
    about.append(header)
    for cell in about[about.max_row]:
        cell.font = Font(bold=True)
    for note in notes:
        about.append([note.header, note.name, note.zh, note.type_text, note.unit, note.required_text, note.allowed,
                      note.references, note.description])
    for letter, width in zip("ABCDEFGHI", (26, 24, 22, 18, 14, 14, 40, 22, 60)):
        about.column_dimensions[letter].width = width
    return workbook_bytes(workbook)


def template_files(table: str, fmt: str = "xlsx") -> dict[str, bytes]:
    """{file name: bytes} of the template of `table`: `<table>.xlsx`, or `<table>.csv` + `<table>.README.txt`."""
    check_tables([table])
    if check_format(fmt) == "xlsx":
        return {f"{table}.xlsx": template_xlsx(table)}
    return {f"{table}.csv": template_csv(table), f"{table}.README.txt": template_readme(table)}
