"""Read input tables from CSV, XLSX and Parquet files into all-text DataFrames.

Every cell comes back as a string ("" = missing) so that validation can quote the value exactly as the
user typed it and codes keep their leading zeros. Typing happens in `features.validation`.

CSV files are decoded strictly as UTF-8 (with or without BOM) first, then as GB18030, the superset of GBK
and GB2312 that Chinese statistics offices and Excel on Chinese Windows export. A file that is neither is
rejected with the byte offset and line of the first undecodable byte rather than read as mojibake. A file
starting with a UTF-16 byte order mark (Excel's "Unicode Text" export) is decoded as UTF-16.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import math
import re
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.errors import InputFileError

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + PARQUET_SUFFIXES

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# Work caps (#15): a reader refuses a file before the work it would cause, whatever the file declares about
# itself. They are far above any real input (the largest table we know, the employment table of a whole
# province by division and year, has under 100,000 rows and 4 columns).
MAX_FILE_BYTES = 256 * 1024 * 1024
"""A file larger than this is refused before it is read (the API's upload limit is lower, Settings)."""
MAX_ROWS = 1_000_000
"""Data rows of one table (CSV lines, XLSX rows read - not the dimension the sheet declares)."""
MAX_COLUMNS = 200
"""Header fields / columns holding a value; the contract's tables have at most 8."""
MAX_CELLS = 20_000_000
"""XLSX cells read, empty ones included (a sheet padded to column XFD stops here, not at 17 billion)."""
MAX_XLSX_XML_BYTES = 512 * 1024 * 1024
"""Uncompressed size of all parts of a workbook (a zip bomb stops here, before openpyxl inflates it)."""


def read_table(path: str | os.PathLike, table: str | None = None, *, source: str | None = None) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet file into a DataFrame of strings.

    Args:
        path: file to read; the format is chosen by its extension (.csv/.tsv/.txt, .xlsx/.xlsm,
            .parquet/.pq).
        table: contract table name; for XLSX, the sheet of that name is read if it exists, else the
            first sheet.
        source: name to use for the file in error messages (default: `path` as given). The API passes
            the uploaded file's name here.

    Returns:
        DataFrame with one text column per header cell (names stripped of spaces), a RangeIndex, every
        value a `str` and "" for an empty cell. Trailing all-empty rows and unnamed all-empty columns
        (Excel leaves them behind) are dropped; empty rows in the middle are kept so that row numbers
        match the file.

    Raises:
        InputFileError: the file is missing, empty (0 bytes or only a header), has an unsupported
            extension, cannot be decoded (not UTF-8 or GB18030/GBK) or is not a valid file of its type.
    """
    path = Path(path)
    name = source or str(path)
    if not path.exists():
        raise InputFileError(f"{name}: file not found", f"{name}：文件不存在")
    if path.is_dir():
        raise InputFileError(f"{name}: is a directory, not a file", f"{name}：这是文件夹，不是文件")
    _check_suffix(path.name, name)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _too_big(name, size)
    data = path.read_bytes()
    return read_table_bytes(data, path.name, table, source=name)


def read_table_bytes(data: bytes, filename: str, table: str | None = None, *,
                     source: str | None = None) -> pd.DataFrame:
    """Read a table from the bytes of a file (e.g. an HTTP upload); `filename` gives the format.

    Same result and errors as `read_table`.
    """
    name = source or filename
    suffix = _check_suffix(filename, name)
    if len(data) == 0:
        raise InputFileError(f"{name}: file is empty (0 bytes)", f"{name}：文件为空（0 字节）")
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(name, len(data))
    if suffix in CSV_SUFFIXES:
        frame = _read_csv(data, name, tab_default=suffix == ".tsv")
    elif suffix in XLSX_SUFFIXES:
        frame = _read_xlsx(data, name, table)
    else:
        frame = _read_parquet(data, name)
    frame = _tidy(frame)
    if len(frame.columns) == 0:
        raise InputFileError(f"{name}: file has no header row", f"{name}：文件没有表头行")
    if len(frame) == 0:
        raise InputFileError(f"{name}: file has a header but no data rows", f"{name}：文件只有表头，没有数据行")
    return frame


def _too_big(name: str, size: int) -> InputFileError:
    mib = MAX_FILE_BYTES // (1024 * 1024)
    return InputFileError(f"{name}: file is {size / 1024 / 1024:.0f} MiB, more than the limit of {mib} MiB; split it "
                          f"(e.g. by year)", f"{name}：文件大小 {size / 1024 / 1024:.0f} MiB，超过 {mib} MiB 的上限；"
                          f"请拆分（如按年份）")


def _limit_error(name: str, en: str, zh: str) -> InputFileError:
    return InputFileError(f"{name}: {en}", f"{name}：{zh}")


def _looks_like(data: bytes, name: str) -> None:
    """Refuse a .csv whose bytes are another format, saying which: otherwise it decodes to something that
    parses as one odd column and is reported as "header but no data rows", which helps nobody."""
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        raise InputFileError(f"{name}: looks like an Excel workbook (.xlsx, a zip file), not CSV text; give it the "
                             f".xlsx ending or save it as CSV UTF-8",
                             f"{name}：看起来是 Excel 工作簿（.xlsx，zip 文件），不是 CSV 文本；请改用 .xlsx 扩展名或另存为"
                             f"“CSV UTF-8”")
    if head.startswith(b"PAR1"):
        raise InputFileError(f"{name}: looks like a Parquet file, not CSV text; give it the .parquet ending",
                             f"{name}：看起来是 Parquet 文件，不是 CSV 文本；请改用 .parquet 扩展名")
    if b"\x00" in head:
        # UTF-16 without a byte order mark: every ASCII character is followed (LE) or preceded (BE) by a zero.
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if max(odd, even) >= len(head) // 4:
            order = "little-endian" if odd > even else "big-endian"
            order_zh = "小端" if odd > even else "大端"
            raise InputFileError(
                f"{name}: looks like UTF-16 text ({order}) without a byte order mark; save the file as CSV UTF-8",
                f"{name}：看起来是没有字节顺序标记的 UTF-16（{order_zh}）文本；请另存为“CSV UTF-8”")
        raise InputFileError(f"{name}: contains zero bytes (at byte {head.index(0)}): a binary file, not CSV text",
                             f"{name}：含有零字节（第 {head.index(0)} 字节），是二进制文件而不是 CSV 文本")


def _json_instead_of_csv(text: str, name: str) -> None:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return
    try:
        json.loads(stripped)
    except (ValueError, RecursionError):
        if not stripped.startswith("{"):
            return  # "[a],b" could be a CSV header; a CSV never starts with "{"
    raise InputFileError(f"{name}: looks like JSON, not CSV; save the table as CSV (a header row, then one line "
                         f"per row) or XLSX", f"{name}：看起来是 JSON 而不是 CSV；请把表格另存为 CSV（第一行为表头，"
                         f"之后每行一条记录）或 XLSX")


def decode_text(data: bytes, name: str) -> str:
    """Decode CSV bytes: UTF-8 (BOM optional) strictly, else GB18030 (covers GBK and GB2312).

    Raises:
        InputFileError: neither decodes; names the byte offset and line of the first bad byte.
    """
    if data.startswith(_UTF16_BOMS):
        # Excel's "Unicode Text (*.txt)" export: UTF-16 with a BOM, tab-separated. The BOM makes it certain.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFileError(f"{name}: byte {exc.start} is not valid UTF-16 although the file starts with "
                                 f"a UTF-16 byte order mark; save the file as CSV UTF-8",
                                 f"{name}：文件以 UTF-16 字节顺序标记开头，但第 {exc.start} 字节不是有效的 UTF-16；"
                                 f"请另存为“CSV UTF-8”") from None
    bom = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    body = data[bom:]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return body.decode("gb18030")
        except UnicodeDecodeError as gb_error:
            # The decoder that got further is most likely the file's real encoding, so its failure
            # point is most likely the bad byte (the other one fails at the first Chinese character).
            offset = bom + max(utf8_error.start, gb_error.start)
            line = data.count(b"\n", 0, offset) + 1
            raise InputFileError(
                f"{name}: byte {offset} (line {line}) is not UTF-8 or GB18030/GBK; "
                f"save the file as CSV UTF-8",
                f"{name}：第 {offset} 字节（第 {line} 行）既不是 UTF-8 也不是 GB18030/GBK 编码；请另存为“CSV UTF-8”",
            ) from None
    if not bom and not text.isascii() and not _has_chinese(text) and not _latin_only(text):
        # A short GBK file can also be valid UTF-8 ("业" is D2 B5 in GB18030 and "ҵ" in UTF-8). A UTF-8 reading
        # with no Chinese and letters of other scripts (Cyrillic, Greek, ...) is most likely such a GBK file.
        try:
            gb_text = body.decode("gb18030")
        except UnicodeDecodeError:
            return text
        if _has_chinese(gb_text):
            return gb_text
    return text


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\u3000" <= ch <= "\u303f"
               or "\uff00" <= ch <= "\uffef" or ord(ch) >= 0x20000 for ch in text)


def _latin_only(text: str) -> bool:
    """Only ASCII and Latin letters with accents (é, ü, ...): a real UTF-8 file, not GBK read as UTF-8."""
    return all(ord(ch) < 0x250 for ch in text)


def frame_to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a new frame with every value of `frame` as text ("" for missing), columns named by `str`.

    Integral floats print without ".0" (Excel and Parquet store 2015 as 2015.0) and other floats in
    their shortest round-trip form, so typing the text again gives the same numbers.
    """
    # By position, not by name: duplicate header names must survive for validation to report them.
    columns = {i: _series_to_text(frame.iloc[:, i]).to_numpy() for i in range(frame.shape[1])}
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)), dtype=object)
    out.columns = [str(c).strip() for c in frame.columns]
    return out


def _check_suffix(filename: str, name: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix == ".xls":
        raise InputFileError(f"{name}: old Excel format '.xls' is not supported; save it as .xlsx or CSV",
                             f"{name}：不支持旧版 Excel 格式 .xls，请另存为 .xlsx 或 CSV")
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(none)"
        raise InputFileError(
            f"{name}: unknown file type '{shown}'; use .csv (UTF-8 or GB18030/GBK), .xlsx or .parquet",
            f"{name}：不支持的文件类型“{shown}”；请使用 .csv（UTF-8 或 GB18030/GBK）、.xlsx 或 .parquet",
        )
    return suffix


def _read_csv(data: bytes, name: str, tab_default: bool) -> pd.DataFrame:
    if not data.startswith(_UTF16_BOMS):
        _looks_like(data, name)
    text = decode_text(data, name)
    if not text.strip():
        raise InputFileError(f"{name}: file is empty (no text)", f"{name}：文件为空（没有文字）")
    _json_instead_of_csv(text, name)
    first_line = text.split("\n", 1)[0]
    # Excel's "Text (tab delimited)" export and .tsv files use tabs; everything else commas.
    sep = "\t" if (tab_default or ("\t" in first_line and "," not in first_line)) else ","
    # Fields and lines counted before pandas allocates them (quoted separators only make these over-counts).
    fields = first_line.count(sep) + 1
    if fields > MAX_COLUMNS:
        raise _limit_error(name, f"the header has {fields} fields, more than the limit of {MAX_COLUMNS}",
                           f"表头有 {fields} 个字段，超过 {MAX_COLUMNS} 个的上限")
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines - 1 > MAX_ROWS:
        raise _limit_error(name, f"{lines - 1} data lines, more than the limit of {MAX_ROWS}; split the file",
                           f"共 {lines - 1} 行数据，超过 {MAX_ROWS} 行的上限；请拆分文件")
    # A short header does not bound the lines below it: pandas tokenises a line of a million separators before
    # it finds the line too long, so the fields of the whole file are counted too.
    cells = text.count(sep) + lines
    if cells > MAX_CELLS:
        raise _limit_error(name, f"about {cells} fields, more than the limit of {MAX_CELLS}; split the file",
                           f"约 {cells} 个字段，超过 {MAX_CELLS} 个的上限；请拆分文件")
    try:
        # header=None keeps duplicate header names as they are (pandas would rename them to "x.1"),
        # so validation can report them; blank lines stay rows so row numbers match the file.
        raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
                          na_filter=False, skip_blank_lines=False, engine="c")
    except pd.errors.ParserError as exc:
        en, zh = _short_parser_message(exc)
        raise InputFileError(f"{name}: not a valid CSV file: {en}", f"{name}：不是有效的 CSV 文件：{zh}") from None
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{name}: file is empty (no text)", f"{name}：文件为空（没有文字）") from None
    raw = raw.fillna("")
    header = [str(h).strip() for h in raw.iloc[0].tolist()]
    body = raw.iloc[1:].reset_index(drop=True)
    body.columns = header
    return body


def _short_parser_message(exc: Exception) -> tuple[str, str]:
    """(English, Chinese) reason of a CSV parser error."""
    message = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if found:
        expected, line, saw = found.groups()
        # pandas counts lines from 1 including the header, which is what a user sees in an editor.
        if expected == "1":
            return (f"line {line} has {saw} fields but line 1 has only one; if line 1 is a title, delete it "
                    f"so that line 1 holds the column names",
                    f"第 {line} 行有 {saw} 个字段，而第 1 行只有 1 个；如果第 1 行是标题，请删除它，使第 1 行为列名")
        return (f"line {line} has {saw} fields but the header has {expected} "
                f"(quote values that contain the separator)",
                f"第 {line} 行有 {saw} 个字段，而表头有 {expected} 个（含分隔符的值请加引号）")
    text = message.replace("Error tokenizing data. ", "").replace("C error: ", "")
    return text, f"解析失败（{text}）"


def _read_xlsx(data: bytes, name: str, table: str | None) -> pd.DataFrame:
    import openpyxl  # imported lazily: only XLSX users pay for it

    _check_workbook_size(data, name)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException for bad files
        raise InputFileError(f"{name}: cannot read as an XLSX workbook ({type(exc).__name__}: {exc})",
                             f"{name}：无法作为 XLSX 工作簿读取（{type(exc).__name__}: {exc}）") from None
    try:
        sheet_names = workbook.sheetnames
        if not sheet_names:
            raise InputFileError(f"{name}: workbook has no sheets", f"{name}：工作簿中没有工作表")
        sheet = workbook[table] if table in sheet_names else workbook[sheet_names[0]]
        rows = _sheet_rows(sheet, name)
    finally:
        workbook.close()
    if not rows:
        raise InputFileError(f"{name}: sheet '{sheet.title}' is empty", f"{name}：工作表“{sheet.title}”为空")
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = [h.strip() for h in rows[0]]
    return pd.DataFrame(rows[1:], columns=header, dtype=object) if len(rows) > 1 else pd.DataFrame(
        columns=header, dtype=object)


def _check_workbook_size(data: bytes, name: str) -> None:
    """Refuse a workbook whose parts inflate beyond MAX_XLSX_XML_BYTES (read from the zip directory, nothing
    inflated yet). A file that is no zip at all is left to openpyxl's own message."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    if inflated > MAX_XLSX_XML_BYTES:
        mib = MAX_XLSX_XML_BYTES // (1024 * 1024)
        raise _limit_error(name, f"the workbook unpacks to {inflated / 1024 / 1024:.0f} MiB, more than the limit of "
                                 f"{mib} MiB", f"工作簿解压后为 {inflated / 1024 / 1024:.0f} MiB，超过 {mib} MiB 的上限")


def _sheet_rows(sheet: Any, name: str) -> list[list[str]]:
    """The sheet's rows as text, read row by row under the caps (MAX_ROWS, MAX_COLUMNS, MAX_CELLS).

    The sheet's declared size (`<dimension ref="A1:XFD1048576"/>`) is ignored, and so is openpyxl's padding:
    `iter_rows` would pad every row to the declared width and yield an empty row for every row number skipped,
    so one cell in row 1048576 cost a million rows of 16384 cells (66 s, then MemoryError). Here the worksheet's
    XML rows are read as they are (openpyxl's own parser, as `iter_rows` uses it), a row number beyond the cap
    fails at once, rows are as long as their last value, and the empty rows between rows with values are added
    back so that row numbers stay those of the file (trailing empty rows never exist)."""
    from openpyxl.worksheet._reader import WorkSheetParser  # what ReadOnlyWorksheet.iter_rows reads with

    workbook = sheet.parent
    rows: list[list[str]] = []
    cells = 0
    with workbook._archive.open(sheet._worksheet_path) as source:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                                 date_formats=workbook._date_formats,
                                 timedelta_formats=workbook._timedelta_formats)
        for number, row in parser.parse():
            cells += len(row)
            if number > MAX_ROWS + 1 or cells > MAX_CELLS:
                what = (f"more than {MAX_ROWS} rows", f"超过 {MAX_ROWS} 行") if number > MAX_ROWS + 1 else (
                    f"more than {MAX_CELLS} cells", f"超过 {MAX_CELLS} 个单元格")
                raise _limit_error(name, f"sheet '{sheet.title}' has {what[0]} (stopped at row {number}); delete "
                                         f"the rows and columns outside your table, or split it",
                                   f"工作表“{sheet.title}”{what[1]}（在第 {number} 行停止读取）；请删除表格以外的行和"
                                   f"列，或拆分文件")
            values = {cell["column"]: cell["value"] for cell in row if cell["value"] is not None}
            if not values or number <= len(rows):  # an empty row, or a repeated row number (openpyxl skips it)
                continue
            width = max(values)
            if width > MAX_COLUMNS:
                raise _limit_error(name, f"sheet '{sheet.title}' row {number} has a value in column {width}, "
                                         f"beyond the limit of {MAX_COLUMNS} columns; delete the columns outside "
                                         f"your table",
                                   f"工作表“{sheet.title}”第 {number} 行第 {width} 列有值，超过 {MAX_COLUMNS} 列的"
                                   f"上限；请删除表格以外的列")
            rows.extend([] for _ in range(number - 1 - len(rows)))
            rows.append([_cell_to_text(values.get(column)) for column in range(1, width + 1)])
    return rows


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        # The footer says how many rows and columns there are; a few run-length-encoded bytes can stand for a
        # billion rows, so the counts are checked before anything is decoded.
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
        if meta.num_rows > MAX_ROWS or meta.num_columns > MAX_COLUMNS:
            raise _limit_error(name, f"{meta.num_rows} rows and {meta.num_columns} columns, more than the limit of "
                                     f"{MAX_ROWS} rows and {MAX_COLUMNS} columns",
                               f"共 {meta.num_rows} 行 {meta.num_columns} 列，超过 {MAX_ROWS} 行、{MAX_COLUMNS} 列的上限")
        frame = pd.read_parquet(io.BytesIO(data))
    except InputFileError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid and friends for corrupt files
        raise InputFileError(f"{name}: cannot read as Parquet ({type(exc).__name__}: {exc})",
                             f"{name}：无法作为 Parquet 文件读取（{type(exc).__name__}: {exc}）") from None
    return frame_to_text(frame)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop unnamed empty columns and trailing empty rows; keep everything else as read."""
    frame.columns = [str(c) for c in frame.columns]
    keep = [i for i, name in enumerate(frame.columns)
            if name != "" or any(str(v).strip() for v in frame.iloc[:, i].to_numpy())]
    if len(keep) < frame.shape[1]:
        frame = frame.iloc[:, keep]
    # Walk back from the end: only the trailing rows need looking at, not the whole file.
    values = frame.to_numpy(dtype=object)
    end = len(values)
    while end > 0 and not any(str(v).strip() for v in values[end - 1]):
        end -= 1
    if end < len(frame):
        frame = frame.iloc[:end]
    return frame.reset_index(drop=True)


def _series_to_text(series: pd.Series) -> pd.Series:
    values = series
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values  # already all text, the usual case for frames from read_table (fast path)
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map(lambda v: "" if _is_missing(v) else ("true" if v else "false")).astype(object)
    if pd.api.types.is_integer_dtype(values.dtype):
        mask = values.isna()
        text = values.astype("Int64").astype(str).astype(object)
        return text.where(~mask, "")
    # Floats, dates, mixed objects, pandas "string": cell by cell, as a spreadsheet shows them.
    return values.map(_cell_to_text).astype(object)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _cell_to_text(value: object) -> str:
    """Text of one cell as the user would read it in a spreadsheet."""
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isfinite(number) and number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
