"""features.readers: CSV (UTF-8 / GB18030 / GBK), XLSX and Parquet into all-text frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.errors import InputFileError, TalentcastError
from features.readers import decode_text, frame_to_text, read_table, read_table_bytes

BAD = Path(__file__).parent / "data" / "bad"
REAL = Path(__file__).resolve().parents[1] / "talentcast" / "data" / "real"

REGIONS_TEXT = (
    "code,name_zh,name_en,parent,level\n"
    "450000,广西壮族自治区,Guangxi,,province\n"
    "450200,柳州市,Liuzhou,450000,city\n"
    "450203,鱼峰区,Yufeng,450200,district\n"
)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312"])
def test_csv_encodings_round_trip_chinese_names(tmp_path, encoding):
    path = _write(tmp_path, "regions.csv", REGIONS_TEXT.encode(encoding))
    frame = read_table(path)
    assert list(frame.columns) == ["code", "name_zh", "name_en", "parent", "level"]  # BOM not in 1st name
    assert frame["name_zh"].tolist() == ["广西壮族自治区", "柳州市", "鱼峰区"]
    assert frame["parent"].tolist() == ["", "450000", "450200"]


def test_gb18030_only_characters_decode(tmp_path):
    # 𫖯 (U+2B5AF, used in personal and school names) exists in GB18030 but not in GBK.
    text = "code,name\nS01,柳州𫖯技工学校\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    frame = read_table(_write(tmp_path, "schools.csv", text.encode("gb18030")))
    assert frame.loc[0, "name"] == "柳州𫖯技工学校"


def test_codes_keep_leading_zeros_and_values_stay_text(tmp_path):
    text = "school,major,year,intake\n0012,010101,2022,0120\n"
    frame = read_table(_write(tmp_path, "enrolment.csv", text.encode()))
    assert frame.iloc[0].tolist() == ["0012", "010101", "2022", "0120"]
    assert all(frame[c].map(type).eq(str).all() for c in frame.columns)


def test_empty_cells_and_na_words_are_kept_as_text(tmp_path):
    # "NA" and "null" are values a user typed; only "" means missing. pandas would turn them into NaN.
    text = "code,name_zh\nNA,null\n,\n450200,柳州市\n"
    frame = read_table(_write(tmp_path, "r.csv", text.encode()))
    assert frame["code"].tolist() == ["NA", "", "450200"]
    assert frame["name_zh"].tolist() == ["null", "", "柳州市"]


def test_undecodable_csv_names_byte_and_line():
    path = BAD / "regions_not_utf8_or_gbk.csv"
    with pytest.raises(InputFileError) as info:
        read_table(path)
    assert info.value.message_en == (
        f"{path}: byte 47 (line 2) is not UTF-8 or GB18030/GBK; save the file as CSV UTF-8"
    )


def test_gbk_file_with_a_bad_byte_points_at_the_bad_byte(tmp_path):
    # UTF-8 already fails at the first Chinese character; the offset must be the GBK failure instead.
    data = "code,name_zh\n450200,柳州市\n".encode("gbk") + b"450203,\xff\n"
    with pytest.raises(InputFileError) as info:
        read_table_bytes(data, "regions.csv")
    offset = data.index(b"\xff")
    assert info.value.message_en == (
        f"regions.csv: byte {offset} (line 3) is not UTF-8 or GB18030/GBK; save the file as CSV UTF-8"
    )


def test_excel_unicode_text_utf16_tab_separated_is_read(tmp_path):
    # Excel on Chinese Windows: "Unicode 文本 (*.txt)" = UTF-16 LE with BOM, tab-separated, CRLF.
    text = "code\tname_zh\tlevel\r\n450200\t柳州市\tcity\r\n"
    frame = read_table(_write(tmp_path, "regions.txt", text.encode("utf-16")))
    assert frame.values.tolist() == [["450200", "柳州市", "city"]]
    assert list(frame.columns) == ["code", "name_zh", "level"]
    with pytest.raises(InputFileError, match=r"x\.csv: byte 6 is not valid UTF-16 although the file starts"):
        decode_text(b"\xff\xfea\x00b\x00\x00\xd8", "x.csv")  # a lone high surrogate at byte 6


def test_windows_line_endings(tmp_path):
    text = "code,name_zh\r\n450200,柳州市\r\n450000,广西\r\n"
    frame = read_table(_write(tmp_path, "r.csv", text.encode("gbk")))
    assert frame.values.tolist() == [["450200", "柳州市"], ["450000", "广西"]]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "{path}: file is empty (0 bytes)"),
        ("employment_header_only.csv", "{path}: file has a header but no data rows"),
        ("employment.json", "{path}: unknown file type '.json'; use .csv (UTF-8 or GB18030/GBK), .xlsx or .parquet"),
        ("does_not_exist.csv", "{path}: file not found"),
    ],
)
def test_unreadable_files_raise_input_file_error(name, message):
    path = BAD / name
    with pytest.raises(InputFileError) as info:
        read_table(path)
    assert info.value.message_en == message.format(path=path)
    assert isinstance(info.value, TalentcastError)


def test_old_excel_and_directories_are_rejected(tmp_path):
    with pytest.raises(InputFileError, match=r"old Excel format '\.xls' is not supported"):
        read_table(_write(tmp_path, "a.xls", b"\xd0\xcf\x11\xe0"))
    with pytest.raises(InputFileError, match="is a directory, not a file"):
        read_table(tmp_path)


def test_source_names_the_file_in_messages(tmp_path):
    path = _write(tmp_path, "upload-1234.csv", b"")
    with pytest.raises(InputFileError) as info:
        read_table(path, source="招生.csv")
    assert info.value.message_en == "招生.csv: file is empty (0 bytes)"


def test_whitespace_only_csv_is_empty(tmp_path):
    with pytest.raises(InputFileError, match=r"x\.csv: file is empty \(no text\)"):
        read_table_bytes(b"\n\n  \n", "x.csv")


def test_ragged_csv_row_names_the_line():
    data = b"region,sector,year,employed\n450200,C36,2015,1\n450200,C36,2016,2,extra\n"
    with pytest.raises(InputFileError) as info:
        read_table_bytes(data, "employment.csv")
    assert info.value.message_en == (
        "employment.csv: not a valid CSV file: line 3 has 5 fields but the header has 4 "
        "(quote values that contain the separator)"
    )


def test_tab_separated_and_trailing_excel_debris(tmp_path):
    # Excel leaves empty trailing columns (a trailing tab) and empty trailing rows behind.
    text = "code\tname_zh\t\n450200\t柳州市\t\n450000\t广西\t\n\t\t\n\n"
    frame = read_table(_write(tmp_path, "regions.tsv", text.encode("gbk")))
    assert list(frame.columns) == ["code", "name_zh"]
    assert frame.values.tolist() == [["450200", "柳州市"], ["450000", "广西"]]


def test_blank_row_in_the_middle_is_kept_so_rows_match_the_file():
    frame = read_table_bytes(b"code,name_zh\n450200,a\n\n450000,b\n", "r.csv")
    assert frame["code"].tolist() == ["450200", "", "450000"]


def test_duplicate_header_names_are_kept_for_validation_to_report():
    frame = read_table_bytes(b"code,code,level\n1,2,city\n", "r.csv")
    assert list(frame.columns) == ["code", "code", "level"]


def test_header_names_are_stripped():
    frame = read_table_bytes(" code , name_zh\n450200,柳州\n".encode(), "r.csv")
    assert list(frame.columns) == ["code", "name_zh"]


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_first_sheet_numbers_and_dates_as_text(tmp_path):
    path = _xlsx(tmp_path / "v.xlsx", {
        "说明": [["region", "sector", "period", "vacancies", "job_seekers"],
                 ["450200", "C36", dt.datetime(2024, 3, 1), 1520, 1234.5],
                 [450200, "C36", "2024-04", 1600.0, None]],
        "other": [["x"], [1]],
    })
    frame = read_table(path)
    assert list(frame.columns) == ["region", "sector", "period", "vacancies", "job_seekers"]
    assert frame.values.tolist() == [
        ["450200", "C36", "2024-03-01", "1520", "1234.5"],
        ["450200", "C36", "2024-04", "1600", ""],
    ]


def test_xlsx_sheet_named_after_the_table_wins(tmp_path):
    path = _xlsx(tmp_path / "all.xlsx", {
        "regions": [["code", "name_zh", "level"], ["450200", "柳州市", "city"]],
        "majors": [["code", "name_zh"], ["460701", "汽车制造与试验技术"]],
    })
    assert read_table(path, "majors").values.tolist() == [["460701", "汽车制造与试验技术"]]
    assert read_table(path).values.tolist() == [["450200", "柳州市", "city"]]  # no table: first sheet


def test_xlsx_header_only_and_corrupt(tmp_path):
    path = _xlsx(tmp_path / "h.xlsx", {"s": [["code", "name_zh"]]})
    with pytest.raises(InputFileError, match=r"h\.xlsx: file has a header but no data rows"):
        read_table(path)
    with pytest.raises(InputFileError, match=r"bad\.xlsx: cannot read as an XLSX workbook"):
        read_table(_write(tmp_path, "bad.xlsx", b"this is not a zip"))


def test_parquet_types_become_text(tmp_path):
    frame = pd.DataFrame({
        "school": ["0012", "14529"],
        "year": pd.array([2022, 2023], dtype="int64"),
        "intake": pd.array([120, None], dtype="Int64"),
        "share": [0.1, float("nan")],
        "whole": [3.0, 4.0],
        "name": ["柳州职业技术学院", None],
    })
    path = tmp_path / "e.parquet"
    frame.to_parquet(path)
    text = read_table(path)
    assert text.values.tolist() == [
        ["0012", "2022", "120", "0.1", "3", "柳州职业技术学院"],
        ["14529", "2023", "", "", "4", ""],
    ]


def test_corrupt_parquet(tmp_path):
    with pytest.raises(InputFileError, match=r"p\.parquet: cannot read as Parquet"):
        read_table(_write(tmp_path, "p.parquet", b"PAR1 not really"))


def test_frame_to_text_floats_round_trip():
    values = [0.1, 1 / 3, 1e-7, 123456.789, 2015.0]
    text = frame_to_text(pd.DataFrame({"x": values}))["x"]
    assert text.tolist()[-1] == "2015"
    assert [float(v) for v in text] == values


def test_real_employment_file_reads_as_text():
    frame = read_table(REAL / "employment_by_province_sector_2009_2015.csv")
    assert len(frame) == 4112
    row = frame.loc[(frame["region_code"] == "450000") & (frame["sector_code"] == "C")
                    & (frame["year"] == "2015")]
    assert row[["region_name", "sector_name_zh", "employed_10k"]].values.tolist() == [
        ["广西壮族自治区", "制造业", "76.2085"]]


def test_csv_title_line_gets_a_hint():
    data = "2023年柳州市分行业就业人员\nregion,sector,year,employed\n450200,C36,2023,1\n".encode("gbk")
    with pytest.raises(InputFileError) as info:
        read_table_bytes(data, "就业.csv")
    assert info.value.message_en == ("就业.csv: not a valid CSV file: line 2 has 4 fields but line 1 has only one; "
                               "if line 1 is a title, delete it so that line 1 holds the column names")


_CELL_TEXT = st.text(alphabet=st.sampled_from(list("柳州市汽车制造业鱼峰区𫖯，。「」abcXYZ019 ,\"'\n;-")),
                     max_size=12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="0123456789", min_size=1, max_size=6), _CELL_TEXT),
                min_size=1, max_size=8),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_any_text_round_trips_through_csv(rows, encoding):
    frame = pd.DataFrame(rows, columns=["code", "name"])
    data = frame.to_csv(index=False, lineterminator="\n").encode(encoding)
    assert read_table_bytes(data, "t.csv").values.tolist() == [list(r) for r in rows]


@pytest.mark.parametrize("path", sorted(REAL.glob("*.csv")), ids=lambda p: p.name)
def test_every_real_csv_reads_like_pandas_text(path):
    # The embedded real files are plain UTF-8 CSV: read_table must give exactly pandas' all-text reading.
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(read_table(path), expected, check_dtype=False)


def test_a_short_gbk_file_that_is_also_valid_utf8_reads_as_gbk():
    # "业" is D2 B5 in GB18030, which is also "ҵ" in UTF-8 (found by the round-trip property above).
    assert read_table_bytes("code,name\n0,业\n".encode("gb18030"), "t.csv").values.tolist() == [["0", "业"]]
    assert read_table_bytes("code,name\n0,café\n".encode("utf-8"), "t.csv").values.tolist() == [["0", "café"]]
