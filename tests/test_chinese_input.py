"""Chinese values and full-width characters in input files: 省/市/区 levels, 高职/大专 levels and school types,
是/否, full-width digits and spaces; and every validation message in English and Chinese."""

from __future__ import annotations

import pandas as pd
import pytest

from features.contract import SCHEMAS, VALUE_ALIASES, Column, TableSchema, choice_lookup, header_aliases
from features.errors import ValidationError
from features.validation import format_report, validate_table

REFERENCES = {"regions": pd.DataFrame({"code": ["450000", "450200"]}),
              "sectors": pd.DataFrame({"code": ["C", "C36"]}),
              "majors": pd.DataFrame({"code": ["460701"], "level": ["高职"], "duration_years": [""]}),
              "schools": pd.DataFrame({"code": ["S001"]})}


def test_region_levels_in_chinese_become_contract_values():
    frame = pd.DataFrame({"行政区划代码": ["450000", "450200", "450202", "450221", "450300"],
                          "名称": ["广西壮族自治区", "柳州市", "城中区", "柳江县", "桂林市"],
                          "上级代码": ["", "450000", "450200", "450200", "450000"],
                          "级别": ["省", "市", "区", "县", "地级市"]})
    typed = validate_table("regions", frame, "地区.csv").frame
    assert typed["level"].tolist() == ["province", "city", "district", "district", "city"]


@pytest.mark.parametrize("written, level", [("中职", "中职"), ("中专", "中职"), ("高职", "高职专科"),
                                            ("高职专科", "高职专科"), ("大专", "高职专科"), ("高职（专科）", "高职专科"),
                                            ("职业本科", "职业本科"), ("职教本科", "职业本科"), ("本科", "本科"),
                                            ("普通本科", "本科"), (" Higher Vocational ", "高职专科")])
def test_major_levels_and_their_variants(written, level):
    frame = pd.DataFrame({"专业代码": ["460701"], "专业名称": ["汽车制造与试验技术"], "层次": [written], "学制": ["3"]})
    assert validate_table("majors", frame, "专业.csv").frame["level"].tolist() == [level]


@pytest.mark.parametrize("written, kind", [("高职", "高职"), ("高职专科", "高职"), ("大专", "高职"), ("中职", "中职"),
                                           ("中等职业学校", "中职"), ("职业本科", "职业本科"), ("本科", "本科"),
                                           ("普通本科高校", "本科")])
def test_school_types_and_their_variants(written, kind):
    frame = pd.DataFrame({"学校代码": ["S001"], "学校名称": ["柳州示例职业技术学院"], "地区代码": ["450200"],
                          "办学类型": [written]})
    assert validate_table("schools", frame, "学校.csv", REFERENCES).frame["type"].tolist() == [kind]


def test_an_unknown_value_names_the_accepted_ones_in_both_languages():
    frame = pd.DataFrame({"code": ["450000"], "name_zh": ["广西"], "level": ["乡"]})
    with pytest.raises(ValidationError) as info:
        validate_table("regions", frame, "r.csv")
    [issue] = info.value.issues
    assert issue.reason == "not one of the allowed values: province (省, 省级), city (市, 地级市), district (区, 县)"
    assert issue.reason_zh == "不是允许的取值：province (省, 省级)、city (市, 地级市)、district (区, 县)"
    assert issue.message("zh") == ("r.csv，第2行，“level”列，值 '乡'：不是允许的取值：province (省, 省级)、"
                                   "city (市, 地级市)、district (区, 县)")


def test_every_alias_maps_to_a_choice_of_its_column():
    for table, columns in VALUE_ALIASES.items():
        for column, variants in columns.items():
            choices = SCHEMAS[table].column(column).choices
            assert set(variants) <= set(choices), (table, column)
            lookup = choice_lookup(table, column)
            for canonical, aliases in variants.items():
                assert all(lookup["".join(a.split()).casefold().replace("（", "(").replace("）", ")")] in
                           choices for a in aliases)
                # no alias is taken by two choices: the first wins, and it must be this one
                assert lookup[canonical.casefold()] == canonical


def test_yes_no_in_chinese(monkeypatch):
    schema = TableSchema(name="flags", description="test-only table", key=("code",),
                         columns=(Column("code", "str", "code"), Column("active", "bool", "flag", required=False)))
    monkeypatch.setitem(SCHEMAS, "flags", schema)
    frame = pd.DataFrame({"code": list("abcdef"), "active": ["是", "否", "对", "错", "Yes", ""]})
    assert validate_table("flags", frame, "f.csv").frame["active"].tolist() == [True, False, True, False, True, pd.NA]


def test_full_width_digits_letters_and_spaces_are_normalised():
    frame = pd.DataFrame({"地区代码": ["４５０２００", "450200\u3000"], "行业代码": ["Ｃ３６", "C36"],
                          "年份": ["２０２３", "2024"], "就业人数": ["１，２３４．５", "\u00a01,300"]})
    typed = validate_table("employment", frame, "就业.csv", REFERENCES).frame
    assert typed["region"].tolist() == ["450200", "450200"]
    assert typed["sector"].tolist() == ["C36", "C36"]
    assert typed["year"].tolist() == [2023, 2024]
    assert typed["employed"].tolist() == [1234.5, 1300.0]


def test_full_width_codes_match_full_width_free_references_and_keys():
    # the same key written twice, once in full-width digits: one duplicate, reported with the value as written
    frame = pd.DataFrame({"region": ["450200", "４５０２００"], "sector": ["C36", "C36"], "year": ["2023", "２０２３"],
                          "employed": ["1", "2"]})
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", REFERENCES)
    [issue] = info.value.errors
    assert issue.row == 3 and issue.value == "４５０２００ | C36 | ２０２３" and "same as row 2" in issue.reason
    assert issue.reason_zh == "键（region, sector, year）重复：与第 2 行相同"


def test_bilingual_template_headers_are_read_as_the_columns():
    frame = pd.DataFrame({"学校代码 school": ["S001"], "专业代码\nmajor": ["460701"], "年份  year": ["2024"],
                          "招生人数 intake": ["120"]})
    typed = validate_table("enrolment", frame, "招生.csv", REFERENCES).frame
    assert typed[["school", "major", "year", "intake"]].values.tolist() == [["S001", "460701", 2024, 120]]
    assert header_aliases("enrolment")["招生人数 intake"] == "intake"


def test_the_cohort_check_reads_chinese_major_levels_for_the_default_duration():
    # majors given with level 高职 and no duration: 3 years (高职专科), so graduates of 2024 are the 2021 cohort
    frame = pd.DataFrame({"school": ["S001", "S001"], "major": ["460701", "460701"], "year": ["2021", "2024"],
                          "intake": ["100", "100"], "graduates": ["", "120"]})
    with pytest.raises(ValidationError) as info:
        validate_table("enrolment", frame, "e.csv", REFERENCES)
    [issue] = info.value.errors
    assert issue.reason.startswith("graduates 120 exceed the intake 100 of the cohort admitted in 2021")
    assert issue.reason_zh == "毕业生 120 人超过 2021 年入学的招生数 100 人（第 2 行，学制 3 年）"


def test_every_issue_has_a_chinese_reason():
    frame = pd.DataFrame({"region": ["450200", "", "450200", "450299", "450200"],
                          "sector": ["C36", "C36", "C36", "C36", "C36"],
                          "year": ["2015", "2016", "1900", "2018", "2015"],
                          "employed": ["-1", "x", "1", "1", "1"], "备注": ["", "", "", "", ""]})
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", {"regions": REFERENCES["regions"]})
    issues = info.value.issues
    assert len(issues) >= 6
    assert all(i.reason_zh and i.reason_zh != i.reason for i in issues), [i for i in issues if not i.reason_zh]
    report = format_report(issues, lang="both").splitlines()
    assert all(" / " in line for line in report)
    assert format_report(issues, lang="zh").splitlines()[0].startswith("error: e.csv：多余的列：备注")
