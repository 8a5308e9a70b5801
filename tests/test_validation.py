"""features.validation: every class of bad input gives a pinned message; good input comes back typed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.contract import DEFAULT_DURATION_YEARS, SCHEMAS, TABLE_NAMES
from features.errors import InputFileError, Issue, TalentcastError, ValidationError
from features.validation import (
    MAX_ISSUES,
    ValidatedTable,
    format_report,
    load_and_validate,
    validate_table,
    validate_tables,
)

BAD = Path(__file__).parent / "data" / "bad"
REAL = Path(__file__).resolve().parents[1] / "talentcast" / "data" / "real"

# Reference tables for the bad files: real codes (柳州 450200, 汽车制造与试验技术 460701, 物联网应用技术 510102).
REFERENCES = {
    "regions": pd.DataFrame({"code": ["450000", "450200"]}),
    "sectors": pd.DataFrame({"code": ["C", "C36", "C38", "I65"]}),
    "majors": pd.DataFrame({"code": ["460701", "510102"], "name_zh": ["汽车制造与试验技术", "物联网应用技术"],
                            "level": ["高职专科", "高职专科"], "duration_years": ["3", "3"]}),
    "schools": pd.DataFrame({"code": ["14529"]}),
}


def _error(table: str, name: str, references=REFERENCES) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        load_and_validate(table, BAD / name, references)
    return info.value


def _issue(file, row, column, value, reason, severity="error") -> Issue:
    return Issue(file=file, reason=reason, row=row, column=column, value=value, severity=severity)


# ------------------------------------------------------------------------------------------------
# One test per class of bad input, pinning file, row, column, value and reason.


def test_missing_column():
    error = _error("employment", "employment_missing_column.csv")
    assert error.issues == [_issue("employment_missing_column.csv", None, None, None,
                                   "missing column(s) employed; expected columns: region, sector, year, employed")]
    assert str(error) == ("employment_missing_column.csv is not a valid 'employment' table: 1 error; nothing stored"
                          " / employment_missing_column.csv 不是有效的“employment”表：1 个错误；未保存任何数据")
    assert error.issues[0].reason_zh == ("缺少列：employed（就业人数）；应有的列：region（地区代码）、sector（行业代码）、"
                                         "year（年份）、employed（就业人数）")


def test_extra_column():
    error = _error("employment", "employment_extra_column.csv")
    assert error.issues == [_issue("employment_extra_column.csv", None, None, None,
                                   "unexpected column(s) 备注; expected columns: region, sector, year, employed")]


def test_wrong_types_in_row_order():
    error = _error("employment", "employment_wrong_type.csv")
    assert error.issues == [
        _issue("employment_wrong_type.csv", 3, "employed", "十二", "expected a number"),
        _issue("employment_wrong_type.csv", 4, "year", "2017x", "expected an integer"),
    ]
    assert error.message_en == "employment_wrong_type.csv is not a valid 'employment' table: 2 errors; nothing stored"
    assert error.issues[0].message("zh") == "employment_wrong_type.csv，第3行，“employed”列，值 '十二'：应为数字"


def test_negative_count():
    error = _error("employment", "employment_negative.csv")
    assert error.issues == [_issue("employment_negative.csv", 3, "employed", "-3", "must not be negative")]


def test_year_out_of_range():
    error = _error("employment", "employment_year_out_of_range.csv")
    assert error.issues == [_issue("employment_year_out_of_range.csv", 2, "year", "1989",
                                   "year out of range 1990..2060")]


def test_unknown_code():
    error = _error("enrolment", "enrolment_unknown_major.csv")
    assert error.issues == [_issue("enrolment_unknown_major.csv", 3, "major", "999999",
                                   "unknown code: not found in majors.code")]


def test_unknown_parent_in_the_same_file():
    error = _error("regions", "regions_unknown_parent.csv")
    assert error.issues == [_issue("regions_unknown_parent.csv", 3, "parent", "459900",
                                   "unknown code: not found in regions.code in this file")]


def test_duplicate_key_names_both_rows():
    error = _error("regions", "regions_duplicate_key.csv")
    assert error.issues == [_issue("regions_duplicate_key.csv", 4, "code", "450200",
                                   "duplicate key (code): same as row 3")]


def test_duplicate_composite_key():
    frame = pd.DataFrame({"region": ["450200"] * 3, "sector": ["C36", "C36", "C36"],
                          "year": ["2015", "2016", "2015"], "employed": ["1", "2", "3"]})
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", REFERENCES)
    assert info.value.issues == [_issue("e.csv", 4, "region, sector, year", "450200 | C36 | 2015",
                                        "duplicate key (region, sector, year): same as row 2")]


def test_weights_not_one_names_major_sum_and_rows():
    error = _error("major_sector_map", "major_sector_map_weights_not_one.csv")
    assert error.issues == [_issue("major_sector_map_weights_not_one.csv", 2, "weight", 0.9,
                                   "weights of major '460701' sum to 0.9, not 1 (rows 2, 3)")]


def test_graduates_above_cohort():
    error = _error("enrolment", "enrolment_graduates_above_cohort.csv")
    assert error.issues == [_issue(
        "enrolment_graduates_above_cohort.csv", 5, "graduates", "105",
        "graduates 105 exceed the intake 100 of the cohort admitted in 2019 (row 2, duration 3 years)")]


def test_graduates_cohort_uses_each_majors_duration():
    # A 5-year medical 本科 major: graduates of 2024 belong to the 2019 cohort, not the 2020 one.
    majors = pd.DataFrame({"code": ["100201"], "name_zh": ["临床医学"], "level": ["本科"],
                           "duration_years": ["5"]})
    frame = pd.DataFrame({"school": ["10601"] * 3, "major": ["100201"] * 3, "year": ["2019", "2020", "2024"],
                          "intake": ["200", "80", "190"], "graduates": ["", "", "150"]})
    refs = {**REFERENCES, "majors": majors, "schools": pd.DataFrame({"code": ["10601"]})}
    result = validate_table("enrolment", frame, "e.csv", refs)  # 150 <= 200 (2019), although > 80 (2020)
    assert result.frame["graduates"].tolist()[-1] == 150
    frame.loc[0, "intake"] = "140"
    with pytest.raises(ValidationError) as info:
        validate_table("enrolment", frame, "e.csv", refs)
    assert info.value.issues[0] == _issue(
        "e.csv", 4, "graduates", "150",
        "graduates 150 exceed the intake 140 of the cohort admitted in 2019 (row 2, duration 5 years)")


def test_graduates_cohort_check_skipped_without_majors():
    frame = pd.DataFrame({"school": ["14529"] * 2, "major": ["460701"] * 2, "year": ["2019", "2022"],
                          "intake": ["10", "10"], "graduates": ["", "500"]})
    refs = {k: v for k, v in REFERENCES.items() if k != "majors"}
    result = validate_table("enrolment", frame, "e.csv", refs)
    assert [i.message("en") for i in result.issues] == [
        "e.csv, column 'major': codes not checked against majors.code: table 'majors' was not supplied",
        "e.csv, column 'graduates': check graduates_not_above_cohort skipped: table 'majors' "
        "(duration_years) was not supplied",
        "e.csv, column 'year': series school+major 14529|460701 has no row for year(s) 2020, 2021 "
        "between 2019 and 2022",
    ]
    assert all(i.severity == "warning" for i in result.issues)


def test_outcomes_above_graduates():
    error = _error("enrolment", "enrolment_outcomes_above_graduates.csv")
    assert error.issues == [
        _issue("enrolment_outcomes_above_graduates.csv", 2, "graduates_employed", "90",
               "graduates_employed 90 + graduates_further_study 20 = 110 exceed graduates 100"),
        _issue("enrolment_outcomes_above_graduates.csv", 3, "graduates_local", "75",
               "graduates_local 75 exceed graduates_employed 70"),
    ]


def test_outcomes_with_only_further_study_given():
    frame = pd.DataFrame({"school": ["14529"], "major": ["460701"], "year": ["2022"], "intake": ["50"],
                          "graduates": ["40"], "graduates_further_study": ["41"]})
    with pytest.raises(ValidationError) as info:
        validate_table("enrolment", frame, "e.csv", REFERENCES)
    assert info.value.issues == [_issue(
        "e.csv", 2, "graduates_further_study", "41",
        "graduates_employed (empty) + graduates_further_study 41 = 41 exceed graduates 40")]


def test_gap_is_a_warning_not_an_error():
    result = load_and_validate("employment", BAD / "employment_gap.csv", REFERENCES)
    assert result.issues == [_issue("employment_gap.csv", None, "year", None,
                                    "series region+sector 450200|C36 has no row for year(s) 2017, 2018 "
                                    "between 2015 and 2019", severity="warning")]
    assert len(result.frame) == 4


def test_empty_file_and_header_only():
    with pytest.raises(InputFileError) as info:
        load_and_validate("employment", BAD / "empty.csv")
    assert info.value.message_en == f"{BAD / 'empty.csv'}: file is empty (0 bytes)"
    with pytest.raises(InputFileError) as info:
        load_and_validate("employment", BAD / "employment_header_only.csv")
    assert info.value.message_en == f"{BAD / 'employment_header_only.csv'}: file has a header but no data rows"


def test_wrong_encoding():
    with pytest.raises(InputFileError) as info:
        load_and_validate("regions", BAD / "regions_not_utf8_or_gbk.csv")
    assert info.value.message_en == (f"{BAD / 'regions_not_utf8_or_gbk.csv'}: byte 47 (line 2) is not UTF-8 or "
                               f"GB18030/GBK; save the file as CSV UTF-8")


def test_empty_table_frame():
    frame = pd.DataFrame({c: pd.Series([], dtype=str) for c in SCHEMAS["regions"].column_names})
    with pytest.raises(ValidationError) as info:
        validate_table("regions", frame, "regions.csv")
    assert [i.message("en") for i in info.value.issues] == ["regions.csv: table has no data rows"]


def test_required_value_missing_choices_and_bounds():
    frame = pd.DataFrame({
        "code": ["460701", "", "510102", "100201"],
        "name_zh": ["汽车制造与试验技术", "无代码", "物联网应用技术", "临床医学"],
        "level": ["高职专科", "高职专科", "大学", "本科"],
        "duration_years": ["3", "3", "3", "0"],
    })
    with pytest.raises(ValidationError) as info:
        validate_table("majors", frame, "majors.xlsx")
    assert info.value.issues == [
        _issue("majors.xlsx", 3, "code", "", "required value is missing"),
        _issue("majors.xlsx", 4, "level", "大学", "not one of the allowed values: 中职 (中专, 中等职业教育), "
               "高职专科 (高职, 专科), 职业本科 (职教本科, 本科(职业)), 本科 (普通本科, 本科(普通))"),
        _issue("majors.xlsx", 5, "duration_years", "0", "below the minimum 1"),
    ]
    assert [i.reason_zh for i in info.value.issues] == [
        "缺少必填值", "不是允许的取值：中职 (中专, 中等职业教育)、高职专科 (高职, 专科)、职业本科 (职教本科, 本科(职业))、"
        "本科 (普通本科, 本科(普通))", "小于最小值 1"]


def test_above_maximum_and_integer_checks():
    frame = pd.DataFrame({"major": ["460701", "510102"], "sector": ["C36", "I65"], "weight": ["1.5", "1"]})
    with pytest.raises(ValidationError) as info:
        validate_table("major_sector_map", frame, "map.csv", REFERENCES)
    assert info.value.issues == [_issue("map.csv", 2, "weight", "1.5", "above the maximum 1")]
    enrolment = pd.DataFrame({"school": ["14529"] * 2, "major": ["460701"] * 2, "year": ["2022", "2023"],
                              "intake": ["120.0", "120.5"]})
    with pytest.raises(ValidationError) as info:
        validate_table("enrolment", enrolment, "e.csv", REFERENCES)
    assert info.value.issues == [_issue("e.csv", 3, "intake", "120.5", "expected an integer")]


def test_duplicate_header_column():
    frame = pd.DataFrame([["450200", "C36", "2015", "1", "2"]],
                         columns=["region", "sector", "year", "employed", "employed"])
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", REFERENCES)
    assert [i.message("en") for i in info.value.issues] == [
        "e.csv, column 'employed': column appears more than once in the header"]


def test_period_formats_are_normalised_and_bad_months_rejected():
    periods = ["2024-03", "2024-3", "2024/04", "2024年5月", "2024-06-01", "2024-07-01 00:00:00", "2024", "2023年"]
    frame = pd.DataFrame({"region": "450200", "sector": [f"C{i}" for i in range(len(periods))],
                          "period": periods, "vacancies": "10", "job_seekers": "8"})
    refs = {**REFERENCES, "sectors": pd.DataFrame({"code": frame["sector"]})}
    result = validate_table("vacancies", frame, "v.csv", refs)
    assert result.issues == []
    assert result.frame["period"].tolist() == ["2024-03", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07",
                                               "2024", "2023"]
    frame.loc[0, "period"] = "2024-13"
    frame.loc[1, "period"] = "2024Q1"
    frame.loc[2, "period"] = "1850-01"
    with pytest.raises(ValidationError) as info:
        validate_table("vacancies", frame, "v.csv", refs)
    assert info.value.issues == [
        _issue("v.csv", 2, "period", "2024-13", "expected a year-month like 2024-03 (or a year like 2024)"),
        _issue("v.csv", 3, "period", "2024Q1", "expected a year-month like 2024-03 (or a year like 2024)"),
        _issue("v.csv", 4, "period", "1850-01", "year out of range 1990..2060"),
    ]


def test_reference_warnings_when_tables_not_supplied():
    frame = pd.DataFrame({"region": ["450200"], "sector": ["C36"], "year": ["2015"], "employed": ["1"]})
    result = validate_table("employment", frame, "e.csv")
    assert [(i.column, i.reason, i.severity) for i in result.issues] == [
        ("region", "codes not checked against regions.code: table 'regions' was not supplied", "warning"),
        ("sector", "codes not checked against sectors.code: table 'sectors' was not supplied", "warning"),
    ]


def test_blank_row_in_the_middle_is_skipped_with_a_warning():
    frame = pd.DataFrame({"region": ["450200", " ", "450200"], "sector": ["C36", "", "C36"],
                          "year": ["2015", "", "2016"], "employed": ["1", "", "2"]})
    result = validate_table("employment", frame, "e.csv", REFERENCES)
    assert result.frame["year"].tolist() == [2015, 2016]
    assert result.issues == [_issue("e.csv", 3, None, None, "empty row, skipped", severity="warning")]
    # An optional column absent from the file lines up with the remaining rows.
    regions = pd.DataFrame({"code": ["450000", "", "450200"], "name_zh": ["广西", "", "柳州"],
                            "level": ["province", "", "city"]})
    typed = validate_table("regions", regions, "r.csv").frame
    assert typed.values.tolist() == [["450000", "广西", None, None, "province"],
                                     ["450200", "柳州", None, None, "city"]]


def test_errors_are_collected_capped_and_counted():
    frame = pd.DataFrame({"region": "450200", "sector": "C36", "year": [str(y) for y in range(1990, 2060)] * 15,
                          "employed": "-1"})
    frame["sector"] = [f"C{i // 70}" for i in range(len(frame))]  # 15 series, no duplicate keys
    refs = {**REFERENCES, "sectors": pd.DataFrame({"code": [f"C{i}" for i in range(15)]})}
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", refs)
    assert len(frame) == 1050
    assert len(info.value.issues) == MAX_ISSUES
    assert info.value.omitted == 1050 - MAX_ISSUES
    assert info.value.message_en == ("e.csv is not a valid 'employment' table: 200 errors, 850 more not listed; "
                                     "nothing stored")
    assert [i.row for i in info.value.issues] == list(range(2, 2 + MAX_ISSUES))
    report = format_report(info.value.issues, info.value.omitted)
    assert report.splitlines()[0] == ("error: e.csv, row 2, column 'employed', value '-1': must not be negative"
                                      " / 不能为负数")
    assert report.splitlines()[-1] == "... and 850 more issues not shown / ……另有 850 个问题未列出"
    assert len(report.splitlines()) == MAX_ISSUES + 1


def test_format_report_errors_before_warnings():
    issues = [_issue("a.csv", None, "year", None, "gap", severity="warning"),
              _issue("a.csv", 7, "employed", "x", "expected a number")]
    assert format_report(issues) == ("error: a.csv, row 7, column 'employed', value 'x': expected a number\n"
                                     "warning: a.csv, column 'year': gap")


def test_unknown_table_is_a_user_error():
    with pytest.raises(TalentcastError, match="unknown table 'jobs'; known tables: regions, sectors"):
        validate_table("jobs", pd.DataFrame({"a": ["1"]}), "jobs.csv")


# ------------------------------------------------------------------------------------------------
# Good input: typed, in contract order, from CSV / GBK / XLSX / Parquet and from typed frames.


def test_typed_frame_in_contract_order_with_optional_columns_added():
    frame = pd.DataFrame({"year": ["2022", "2023"], "intake": ["1,200", " 130 "], "major": ["460701", "460701"],
                          "school": ["14529", "14529"], "graduates": ["", "95"]})
    result = validate_table("enrolment", frame, "e.csv", REFERENCES)
    assert isinstance(result, ValidatedTable)
    assert list(result.frame.columns) == SCHEMAS["enrolment"].column_names
    assert result.frame["intake"].tolist() == [1200, 130]
    assert str(result.frame["intake"].dtype) == "int64"
    assert str(result.frame["graduates"].dtype) == "Int64"
    assert result.frame["graduates"].isna().tolist() == [True, False]
    assert result.frame["graduates_local"].isna().all()
    assert result.frame["school"].tolist() == ["14529", "14529"]
    assert result.issues == []


def test_typed_input_frame_is_accepted():
    frame = pd.DataFrame({"region": ["450200"] * 2, "sector": ["C36"] * 2, "year": [2015, 2016],
                          "employed": [12.5, 13.0]})
    result = validate_table("employment", frame, "generated", REFERENCES)
    assert result.frame["employed"].tolist() == [12.5, 13.0]
    assert result.frame["year"].tolist() == [2015, 2016]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_chinese_csv_round_trips_through_validation(tmp_path, encoding):
    text = ("code,name,name_en,region,type\n"
            "14529,柳州职业技术学院,Liuzhou Vocational & Technical College,450200,高职\n"
            "0012,柳州市第一职业技术学校,,450200,中职\n")
    path = tmp_path / "schools.csv"
    path.write_bytes(text.encode(encoding))
    result = load_and_validate("schools", path, REFERENCES)
    assert result.frame["name"].tolist() == ["柳州职业技术学院", "柳州市第一职业技术学校"]
    assert result.frame["code"].tolist() == ["14529", "0012"]
    assert result.frame["type"].tolist() == ["高职", "中职"]
    assert result.frame["name_en"].tolist() == ["Liuzhou Vocational & Technical College", None]
    assert result.source == "schools.csv" and result.table == "schools"


def test_xlsx_and_parquet_inputs(tmp_path):
    frame = pd.DataFrame({"major": ["460701", "460701", "510102"], "sector": ["C36", "C38", "I65"],
                          "weight": [0.7, 0.3, 1.0]})
    frame.to_excel(tmp_path / "map.xlsx", index=False, sheet_name="major_sector_map")
    frame.to_parquet(tmp_path / "map.parquet")
    for name in ("map.xlsx", "map.parquet"):
        result = load_and_validate("major_sector_map", tmp_path / name, REFERENCES)
        assert result.frame["weight"].tolist() == [0.7, 0.3, 1.0], name
        assert result.frame.groupby("major")["weight"].sum().round(12).tolist() == [1.0, 1.0]


def test_xlsx_with_bad_value_reports_spreadsheet_row(tmp_path):
    frame = pd.DataFrame({"region": ["450200"] * 3, "sector": ["C36"] * 3, "year": [2015, 2016, 2017],
                          "employed": [10, "n/a", 12]})
    frame.to_excel(tmp_path / "就业.xlsx", index=False)
    with pytest.raises(ValidationError) as info:
        load_and_validate("employment", tmp_path / "就业.xlsx", REFERENCES)
    assert info.value.issues == [_issue("就业.xlsx", 3, "employed", "n/a", "expected a number")]


def _real_employment() -> pd.DataFrame:
    raw = pd.read_csv(REAL / "employment_by_province_sector_2009_2015.csv", dtype=str, keep_default_na=False)
    return pd.DataFrame({"region": raw["region_code"], "sector": raw["sector_code"], "year": raw["year"],
                         # the source is in 10k persons; the contract wants persons
                         "employed": (raw["employed_10k"].astype(float) * 10_000).map(repr)})


def _real_regions_sectors() -> dict[str, pd.DataFrame]:
    raw = pd.read_csv(REAL / "employment_by_province_sector_2009_2015.csv", dtype=str, keep_default_na=False)
    regions = raw[["region_code", "region_name"]].drop_duplicates().rename(
        columns={"region_code": "code", "region_name": "name_zh"}).assign(level="province")
    sectors = raw[["sector_code", "sector_name_zh", "sector_name_en"]].drop_duplicates().rename(
        columns={"sector_code": "code", "sector_name_zh": "name_zh", "sector_name_en": "name_en"})
    return {"regions": regions, "sectors": sectors}


def test_real_nbs_employment_validates_with_references():
    tables = validate_tables({**_real_regions_sectors(), "employment": _real_employment()})
    employment = tables["employment"].frame
    assert len(tables["regions"].frame) == 31 and len(tables["sectors"].frame) == 19
    assert len(employment) == 4112
    assert tables["employment"].issues == []  # the real series have no inner gaps
    guangxi = employment.query("region == '450000' and sector == 'C' and year == 2015")["employed"]
    assert guangxi.tolist() == [pytest.approx(762085.0)]


def test_real_employment_with_a_removed_year_warns_about_the_gap():
    frame = _real_employment()
    frame = frame.loc[~((frame["region"] == "450000") & (frame["sector"] == "E") & (frame["year"] == "2012"))]
    result = validate_table("employment", frame, "employment.csv", _real_regions_sectors())
    assert [i.message("en") for i in result.issues] == [
        "employment.csv, column 'year': series region+sector 450000|E has no row for year(s) 2012 "
        "between 2009 and 2015"]


def test_real_moe_catalogue_validates_as_majors():
    raw = pd.read_csv(REAL / "moe_majors_catalog.csv", dtype=str, keep_default_na=False)
    level = raw["level_zh"].map({"中等职业教育": "中职", "高等职业教育专科": "高职专科",
                                 "高等职业教育本科": "职业本科", "普通本科": "本科"})
    majors = pd.DataFrame({"code": raw["code"], "name_zh": raw["name"], "level": level,
                           "category": raw["category"], "duration_years": level.map(DEFAULT_DURATION_YEARS)})
    result = validate_table("majors", majors, "moe_majors_catalog.csv")
    assert len(result.frame) == 1935
    assert result.frame["level"].value_counts().to_dict() == {"高职专科": 732, "本科": 622, "中职": 344,
                                                               "职业本科": 237}
    assert result.frame.loc[result.frame["code"] == "460701", "name_zh"].tolist() == ["汽车制造与试验技术"]


def test_validate_tables_checks_references_across_tables_and_reports_all():
    frames = {
        "regions": pd.DataFrame({"code": ["450000", "450200"], "name_zh": ["广西", "柳州"],
                                 "parent": ["", "450000"], "level": ["province", "city"]}),
        "schools": pd.DataFrame({"code": ["14529"], "name": ["柳州职业技术学院"], "region": ["450299"],
                                 "type": ["高职"]}),
        "sectors": pd.DataFrame({"code": ["C", "C36"], "name_zh": ["制造业", "汽车制造业"], "parent": ["", "C"]}),
        "employment": pd.DataFrame({"region": ["450200"], "sector": ["C37"], "year": ["2020"],
                                    "employed": ["1"]}),
    }
    with pytest.raises(ValidationError) as info:
        validate_tables(frames, sources={"schools": "schools.csv"})
    assert [i.message("en") for i in info.value.issues] == [
        "employment, row 2, column 'sector', value 'C37': unknown code: not found in sectors.code",
        "schools.csv, row 2, column 'region', value '450299': unknown code: not found in regions.code",
    ]
    frames["schools"].loc[0, "region"] = "450200"
    frames["employment"].loc[0, "sector"] = "C36"
    done = validate_tables(frames)
    assert list(done) == ["regions", "sectors", "employment", "schools"]  # contract order
    assert all(table in TABLE_NAMES for table in done)


def test_100k_row_employment_frame_validates():
    regions = [f"45{i:04d}" for i in range(1000)]
    n = 100_000
    frame = pd.DataFrame({
        "region": np.repeat(regions, 100),
        "sector": np.tile(np.repeat([f"C{i}" for i in range(10)], 10), 1000),
        "year": np.tile(np.arange(2010, 2020), 10_000).astype(str),
        "employed": np.arange(n).astype(str),
    })
    refs = {"regions": pd.DataFrame({"code": regions}),
            "sectors": pd.DataFrame({"code": [f"C{i}" for i in range(10)]})}
    result = validate_table("employment", frame, "big.csv", refs)
    assert len(result.frame) == n
    assert result.frame["employed"].sum() == n * (n - 1) / 2
    assert result.issues == []
    frame.loc[[10, 99_999], "employed"] = "-5"
    frame.loc[50_000, "region"] = "459999"
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "big.csv", refs)
    assert [(i.row, i.column, i.value) for i in info.value.issues] == [
        (12, "employed", "-5"), (50_002, "region", "459999"), (100_001, "employed", "-5")]


# ------------------------------------------------------------------------------------------------
# Property: exactly the negative and the implausibly large counts are flagged (the contract's 0..MAX_EMPLOYED),
# and valid numbers come back unchanged.


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(-10**9, 10**9),
                          st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)),
                min_size=1, max_size=30))
def test_out_of_range_counts_flagged_exactly(values):
    from features.contract import MAX_EMPLOYED

    frame = pd.DataFrame({"region": "450200", "sector": "C36", "year": [str(1990 + i) for i in range(len(values))],
                          "employed": [repr(v) if isinstance(v, float) else str(v) for v in values]})
    bad_rows = [i + 2 for i, v in enumerate(values) if v < 0 or v > MAX_EMPLOYED]
    if bad_rows:
        with pytest.raises(ValidationError) as info:
            validate_table("employment", frame, "p.csv", REFERENCES)
        assert [i.row for i in info.value.issues] == bad_rows
        assert {i.reason for i in info.value.issues} <= {"must not be negative",
                                                         "above the maximum 1000000000 persons"}
    else:
        result = validate_table("employment", frame, "p.csv", REFERENCES)
        assert result.frame["employed"].tolist() == [float(v) for v in values]


def test_rows_after_a_blank_row_keep_their_file_row_numbers():
    frame = pd.DataFrame({"region": ["450200", "", "450200"], "sector": ["C36", "", "C36"],
                          "year": ["2015", "", "2016"], "employed": ["1", "", "x"]})
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", REFERENCES)
    assert info.value.issues == [
        _issue("e.csv", 4, "employed", "x", "expected a number"),
        _issue("e.csv", 3, None, None, "empty row, skipped", severity="warning"),
    ]


def test_full_width_spaces_are_stripped():
    frame = pd.DataFrame({"code": ["\u3000450200 "], "name_zh": [" 柳州市\u3000"], "level": ["city"]})
    result = validate_table("regions", frame, "r.csv")
    assert result.frame[["code", "name_zh"]].values.tolist() == [["450200", "柳州市"]]


def test_bool_columns(monkeypatch):
    from features.contract import Column, TableSchema

    schema = TableSchema(name="flags", description="test-only table", key=("code",),
                         columns=(Column("code", "str", "code"), Column("active", "bool", "flag", required=False)))
    monkeypatch.setitem(SCHEMAS, "flags", schema)
    frame = pd.DataFrame({"code": ["a", "b", "c", "d"], "active": ["是", "FALSE", "", "1"]})
    assert validate_table("flags", frame, "f.csv").frame["active"].tolist() == [True, False, pd.NA, True]
    frame.loc[0, "active"] = "maybe"
    with pytest.raises(ValidationError) as info:
        validate_table("flags", frame, "f.csv")
    assert info.value.issues == [_issue("f.csv", 2, "active", "maybe", "expected true or false (是 / 否)")]


def test_every_schema_check_is_implemented_and_documented():
    from features.contract import CHECK_DESCRIPTIONS
    from features.validation import TABLE_CHECKS

    used = {check for schema in SCHEMAS.values() for check in schema.checks}
    assert used <= set(TABLE_CHECKS)
    assert set(TABLE_CHECKS) == set(CHECK_DESCRIPTIONS)


def test_docs_show_the_current_schemas():
    from features.contract import to_markdown

    docs = (Path(__file__).resolve().parents[1] / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert docs.endswith(to_markdown()), "regenerate the Tables section: python -m features.contract"
    assert "| `duration_years` | 学制 / 修业年限 | integer | years | yes | 1..8 |  | programme length |" in docs


def test_title_rows_above_the_header_are_recognised(tmp_path):
    # Excel sheets from statistics offices often start with a title row and a blank row.
    frame = pd.DataFrame([["2023年柳州市分行业就业人员", "", "", ""], ["", "", "", ""],
                          ["region", "sector", "year", "employed"], [450200, "C36", 2023, 1000]])
    frame.to_excel(tmp_path / "就业.xlsx", index=False, header=False)
    with pytest.raises(ValidationError) as info:
        load_and_validate("employment", tmp_path / "就业.xlsx", REFERENCES)
    assert [i.message("en") for i in info.value.issues] == [
        "就业.xlsx: the column names are on row 3, not row 1: delete the 2 row(s) above them; "
        "expected columns: region, sector, year, employed"]


def test_extra_column_with_wrong_case_gets_a_hint():
    frame = pd.DataFrame({"region": ["450200"], "sector": ["C36"], "Year": ["2015"], "employed": ["1"]})
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", REFERENCES)
    assert [i.message("en") for i in info.value.issues] == [
        "e.csv: missing column(s) year; expected columns: region, sector, year, employed",
        "e.csv: unexpected column(s) Year (did you mean year?); expected columns: region, sector, year, employed",
    ]


def test_table_checks_stop_building_messages_at_the_cap_but_count_everything():
    majors = [f"{i:06d}" for i in range(300)]
    weights = pd.DataFrame({"major": np.repeat(majors, 2), "sector": ["C36", "C38"] * 300, "weight": "0.25"})
    refs = {"majors": pd.DataFrame({"code": majors}), "sectors": REFERENCES["sectors"]}
    with pytest.raises(ValidationError) as info:
        validate_table("major_sector_map", weights, "m.csv", refs)
    assert len(info.value.issues) == MAX_ISSUES and info.value.omitted == 100
    assert info.value.issues[-1].message("en") == ("m.csv, row 400, column 'weight', value 0.5: weights of major '000199' "
                                          "sum to 0.5, not 1 (rows 400, 401)")
    employment = pd.DataFrame({"region": np.repeat([f"{450000 + i}" for i in range(250)], 2), "sector": "C36",
                               "year": ["2015", "2017"] * 250, "employed": "1"})
    result = validate_table("employment", employment, "e.csv",
                            {"regions": pd.DataFrame({"code": employment["region"]}), **_sectors()})
    assert len(result.issues) == MAX_ISSUES and result.omitted == 50
    assert {i.reason.split(" has no row")[1] for i in result.issues} == {" for year(s) 2016 between 2015 and 2017"}


def _sectors() -> dict[str, pd.DataFrame]:
    return {"sectors": REFERENCES["sectors"]}


def test_chinese_headers_name_the_contract_columns(tmp_path):
    text = ("学校代码,专业代码,年份,招生人数,毕业生人数,就业人数,升学人数,本地就业人数\n"
            "14529,460701,2019,100,,,,\n"
            "14529,460701,2022,120,96,80,10,70\n")
    path = tmp_path / "招生与毕业.csv"
    path.write_bytes(text.encode("gbk"))
    result = load_and_validate("enrolment", path, REFERENCES)
    assert list(result.frame.columns) == SCHEMAS["enrolment"].column_names
    assert result.frame.loc[1, ["intake", "graduates", "graduates_employed", "graduates_local"]].tolist() == [
        120, 96, 80, 70]
    path.write_bytes(text.replace("80,10,70", "80,10,90").encode("gbk"))
    with pytest.raises(ValidationError) as info:
        load_and_validate("enrolment", path, REFERENCES)
    # Messages use the contract name of the column, whatever the header said.
    assert [i.message("en") for i in info.value.issues if i.severity == "error"] == [
        "招生与毕业.csv, row 3, column 'graduates_local', value '90': graduates_local 90 exceed graduates_employed 80"]


def test_chinese_header_and_english_header_for_the_same_column_is_a_duplicate():
    frame = pd.DataFrame([["450200", "C36", "2015", "2015", "1"]],
                         columns=["region", "sector", "year", "年份", "employed"])
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", REFERENCES)
    assert [i.message("en") for i in info.value.issues] == ["e.csv, column 'year': column appears more than once in the header"]


def test_chinese_header_with_a_unit_gets_a_hint():
    frame = pd.DataFrame({"地区代码": ["450200"], "行业代码": ["C36"], "年份": ["2015"], "就业人数（万人）": ["76.2"]})
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "就业.csv", REFERENCES)
    assert [i.message("en") for i in info.value.issues] == [
        "就业.csv: missing column(s) employed; expected columns: region, sector, year, employed",
        "就业.csv: unexpected column(s) 就业人数（万人） (did you mean employed? give the values in persons and "
        "name the column employed or 就业人数); expected columns: region, sector, year, employed",
    ]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["14529", "0012"]), st.sampled_from(["460701", "510102"]),
                          st.integers(2000, 2030), st.integers(100, 5000),  # intake >= any graduates
                          st.one_of(st.none(), st.integers(0, 50))),
                min_size=1, max_size=20, unique_by=lambda r: r[:3]))
def test_validating_a_validated_frame_changes_nothing(rows):
    frame = pd.DataFrame(rows, columns=["school", "major", "year", "intake", "graduates"])
    frame["graduates"] = frame["graduates"].astype("Int64")
    refs = {**REFERENCES, "schools": pd.DataFrame({"code": ["14529", "0012"]})}
    first = validate_table("enrolment", frame, "e", refs).frame
    second = validate_table("enrolment", first, "e", refs).frame
    pd.testing.assert_frame_equal(first, second)
    assert first["intake"].tolist() == [r[3] for r in rows]
    assert first["graduates"].astype(object).where(first["graduates"].notna(), None).tolist() == [r[4] for r in rows]


def test_error_message_counts_errors_and_warnings_separately():
    frame = pd.DataFrame({"region": ["450200"] * 3, "sector": ["C36"] * 3, "year": ["2015", "2017", "2018"],
                          "employed": ["-1", "1", "2"]})
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv")
    # 1 error; 3 warnings: 2 references not checked, 1 gap
    assert info.value.message_en == "e.csv is not a valid 'employment' table: 1 error, 3 warnings; nothing stored"
