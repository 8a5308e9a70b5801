"""The results contract: every table talentcast produces, declared once beside the input contract.

`features/contract.py` says what may come in; this module says what goes out: the pipeline's demand, supply,
gaps and major pressure, the warnings, and the run record. Storage derives its result tables from it, the API
its response models, the CLI and the exports their columns and Chinese headers, and `docs/results-contract.md`
is rendered from it (`python -m features.results`). A result column is renamed in exactly one place.

Units: persons are head counts per year (not 10k persons as in the employment input); ratios are
openings / entrants, dimensionless; probabilities are shares of simulated futures in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

RESULT_DTYPES = ("str", "int", "float", "json")

# Code columns and the input table that names them (region -> regions.name_zh ...).
NAMED_CODES = {"region": "regions", "sector": "sectors", "school": "schools", "major": "majors"}


@dataclass(frozen=True)
class ResultColumn:
    """One column of a result table.

    Attributes:
        name: column name (storage, API fields, CSV/XLSX headers in English).
        dtype: "str", "int", "float" or "json" (a list or a dict).
        zh: the Chinese header used in exports and the web pages.
        unit: unit of measure ("" for codes, names and dimensionless values).
        description: what it means.
        nullable: the value may be missing (null) for a reason the row explains.
        extra: stored inside the run's JSON `extra` column rather than a typed column (columns added after the
            result tables were first migrated; they come back on load like any other).
    """

    name: str
    dtype: str
    zh: str
    description: str
    unit: str = ""
    nullable: bool = True
    extra: bool = False


@dataclass(frozen=True)
class ResultSchema:
    """One result table: its columns, the columns that identify a row, and what it means."""

    kind: str
    title_zh: str
    description: str
    columns: tuple[ResultColumn, ...]
    key: tuple[str, ...]
    year_column: str = "year"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def typed_columns(self) -> dict[str, str]:
        """{name: dtype} of the columns storage keeps as typed columns (not in `extra`)."""
        return {c.name: c.dtype for c in self.columns if not c.extra}

    @property
    def code_columns(self) -> list[str]:
        """Code columns whose names are looked up in an input table (region, sector, school, major)."""
        return [c.name for c in self.columns if c.name in NAMED_CODES]

    def column(self, name: str) -> ResultColumn:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"result '{self.kind}' has no column '{name}'")


def _c(name: str, dtype: str, zh: str, description: str, unit: str = "", **kw) -> ResultColumn:
    return ResultColumn(name, dtype, zh, description, unit, **kw)


_REGION = _c("region", "str", "地区代码", "GB/T 2260 region code", nullable=False)
_SECTOR = _c("sector", "str", "行业代码", "GB/T 4754 sector code (section letter or division)", nullable=False)
_SCHOOL = _c("school", "str", "学校代码", "school code", nullable=False)
_MAJOR = _c("major", "str", "专业代码", "MOE catalogue major code", nullable=False)
_YEAR = _c("year", "int", "年份", "calendar year the values refer to", "year", nullable=False)
_P_SHORTAGE = _c("p_shortage", "float", "短缺概率", "share of simulated futures with ratio above the shortage "
                 "threshold", "probability")
_P_SURPLUS = _c("p_surplus", "float", "过剩概率", "share of simulated futures with ratio below the surplus "
                "threshold", "probability")


def _band(prefix: str, zh: str, unit: str, levels=(80, 95), what: str = "") -> tuple[ResultColumn, ...]:
    cols = []
    for level in levels:
        cols.append(_c(f"{prefix}_lo_{level}", "float", f"{zh}{level}%下限", f"lower end of the {level}% "
                       f"prediction interval of {what or prefix}", unit))
        cols.append(_c(f"{prefix}_hi_{level}", "float", f"{zh}{level}%上限", f"upper end of the {level}% "
                       f"prediction interval of {what or prefix}", unit))
    return tuple(cols)


RESULT_SCHEMAS: dict[str, ResultSchema] = {
    "demand": ResultSchema(
        "demand", "需求预测", "Forecast employment and job openings of one sector in one region and year "
        "(stock-flow: openings = expansion + replacement; graduate openings = the share new graduates fill).",
        (_REGION, _SECTOR, _YEAR,
         _c("employment_mean", "float", "就业人数预测", "forecast employment (mean of sample paths)", "persons"),
         *_band("employment", "就业人数", "persons", levels=(80,), what="employment"),
         _c("expansion_mean", "float", "扩张需求", "change in employment from the year before (mean)", "persons"),
         _c("replacement_mean", "float", "更替需求", "leavers to be replaced (retirement, exits)", "persons"),
         _c("openings_mean", "float", "岗位空缺", "all job openings = expansion + replacement", "persons"),
         _c("graduate_openings_mean", "float", "毕业生岗位需求", "openings new graduates are expected to fill",
            "persons"),
         *_band("graduate_openings", "毕业生岗位需求", "persons", what="graduate openings"),
         _c("model", "str", "预测模型", "forecasting model chosen for the series by backtest")),
        key=("region", "sector", "year")),
    "supply": ResultSchema(
        "supply", "毕业生供给", "Expected graduates of one school x major and year, and those entering the local "
        "labour market (graduates x (1 - further study) x local retention).",
        (_REGION, _SCHOOL, _MAJOR, _YEAR,
         _c("intake_source", "str", "招生数来源", "where the cohort's intake comes from: pipeline (enrolled), "
            "forecast (trend) or planned (scenario)"),
         _c("expected_graduates", "float", "预计毕业生", "graduates expected in the year", "persons"),
         _c("graduate_entrants", "float", "进入本地劳动力市场", "graduates entering the local labour market",
            "persons")),
        key=("region", "school", "major", "year")),
    "supply_by_sector": ResultSchema(
        "supply_by_sector", "分行业供给", "Graduate entrants of a region split over sectors through the "
        "major -> sector crosswalk.",
        (_REGION, _SECTOR, _YEAR,
         _c("graduate_entrants", "float", "毕业生供给", "graduates entering the sector's local labour market",
            "persons")),
        key=("region", "sector", "year")),
    "gaps": ResultSchema(
        "gaps", "供需缺口", "Graduate openings minus graduate supply of one sector, with intervals and the "
        "probabilities of shortage and surplus.",
        (_REGION, _SECTOR, _YEAR,
         _c("openings_mean", "float", "毕业生岗位需求", "graduate openings (mean)", "persons"),
         _c("supply_mean", "float", "毕业生供给", "local graduate entrants (mean)", "persons"),
         _c("gap_mean", "float", "缺口", "openings - supply (mean); positive = shortage", "persons"),
         *_band("gap", "缺口", "persons", what="the gap"),
         _c("ratio_median", "float", "供需比", "openings / supply (median of simulated futures); null when "
            "the gap is not rated (see not_rated_reason): local supply below 1 person or below 5% of the "
            "openings, or the region's schools not all in the data"),
         *_band("ratio", "供需比", "", what="the ratio"),
         _P_SHORTAGE, _P_SURPLUS,
         _c("shortage_threshold", "float", "短缺阈值", "ratio above which a sector is short (default 1.2)"),
         _c("surplus_threshold", "float", "过剩阈值", "ratio below which a sector is in surplus (default 0.8)"),
         _c("assumption_share", "float", "假设参数不确定性占比", "share of the variance of the log ratio that comes "
            "from the assumed parameters (replacement rate, graduate entry share, crosswalk weights; "
            "forecasting/data/assumptions.yaml) rather than from the forecast; above 0.5 the result rests mainly "
            "on the assumptions (null when not rated)", "share", extra=True),
         _c("current_ratio", "float", "当前求人倍率", "vacancies / job seekers of the public employment service over "
            "the latest 12 months of the vacancies table (null without vacancy data)", extra=True),
         _c("conditions_check", "str", "与当前形势对照", "contradicts: a likely shortage (P >= 0.5) where the "
            "current ratio is below the surplus threshold, or a likely surplus where it is above the shortage "
            "threshold; agrees: both known, no clash; null: no vacancy data or not rated", extra=True),
         _c("not_rated_reason", "str", "不评估原因", "null when rated; else why the ratio, its intervals and "
            "probabilities are null: no_supply (no major of the region's schools feeds the sector), "
            "negligible_supply (local entrants below 1 person or below 5% of the graduate openings), "
            "incomplete_supply (the region's schools are not all in the data, e.g. a province with one city's "
            "schools; the gap is null too)", extra=True),
         _c("rating_note_zh", "str", "评估说明", "why the gap is not rated, in Chinese (null when rated)",
            extra=True),
         _c("rating_note_en", "str", "Rating note", "why the gap is not rated, in English (null when rated)",
            extra=True)),
        key=("region", "sector", "year")),
    "major_pressure": ResultSchema(
        "major_pressure", "专业供需压力", "Pressure on one major: the supply-weighted geometric mean of the "
        "ratios of the rated sectors it feeds, with its interval and probabilities; one row for every major offered in the region, null "
        "when none of its sectors is rated.",
        (_REGION, _MAJOR, _YEAR,
         _c("pressure_median", "float", "压力指数", "supply-weighted geometric mean of the ratios of the rated "
            "sectors the major feeds "
            "(median); null when not rated (see not_rated_reason)"),
         _c("pressure_lo_80", "float", "压力指数80%下限", "lower end of the 80% interval of the pressure"),
         _c("pressure_hi_80", "float", "压力指数80%上限", "upper end of the 80% interval of the pressure"),
         _P_SHORTAGE, _P_SURPLUS,
         _c("rated_weight", "float", "可评估权重", "share of the major's crosswalk weight on sectors with a rated "
            "ratio (0..1); the pressure is renormalised over them", "share", extra=True),
         _c("assumption_share", "float", "假设参数不确定性占比", "share of the variance of the log pressure that comes "
            "from the assumed parameters (replacement rate, graduate entry share, crosswalk weights; "
            "forecasting/data/assumptions.yaml) rather than from the forecast; above 0.5 the result rests mainly "
            "on the assumptions (null when not rated)", "share", extra=True),
         _c("current_ratio", "float", "当前求人倍率", "vacancies / job seekers of the public employment service over "
            "the latest 12 months of the vacancies table, geometric mean over the sectors the major feeds (null without vacancy data)", extra=True),
         _c("conditions_check", "str", "与当前形势对照", "contradicts: a likely shortage (P >= 0.5) where the "
            "current ratio is below the surplus threshold, or a likely surplus where it is above the shortage "
            "threshold; agrees: both known, no clash; null: no vacancy data or not rated", extra=True),
         _c("not_rated_reason", "str", "不评估原因", "null when rated; else no_crosswalk (the major has no "
            "crosswalk row), no_demand_series (its sectors have no employment series in the region or above) "
            "or sectors_not_rated (none of its sectors has a rated ratio that year)", extra=True),
         _c("rating_note_zh", "str", "评估说明", "why the pressure is not rated and what data would fix it, in "
            "Chinese (null when rated)", extra=True),
         _c("rating_note_en", "str", "Rating note", "why the pressure is not rated and what data would fix it, in "
            "English (null when rated)", extra=True)),
        key=("region", "major", "year")),
    "warnings": ResultSchema(
        "warnings", "专业预警", "Early warning for one school x major and plan year: level, action, current and "
        "recommended intake, the rules that fired, the evidence and an explanation in Chinese and English.",
        (_REGION, _SCHOOL, _MAJOR,
         _c("plan_year", "int", "招生计划年度", "admission year the recommendation is for", "year",
            nullable=False),
         _c("rule_set", "str", "规则集", "rule set that produced the warning"),
         _c("level", "str", "预警等级", "red | yellow | green | not_rated (no rule fired and the evidence the "
            "rule set judges on is missing: the major's demand for forecast rule sets, its employment outcomes "
            "for outcome-only ones; never green without it)", nullable=False),
         _c("action", "str", "建议", "expand | hold | shrink | suspend", nullable=False),
         # Intakes are persons, but kept as floats so that a fractional recommendation is never truncated.
         _c("current_intake", "float", "当前招生数", "intake of the latest recorded year", "persons"),
         _c("recommended_intake", "float", "建议招生数", "recommended intake for the plan year", "persons"),
         _c("rules_fired", "json", "触发规则", "every rule whose conditions hold; the first decides"),
         _c("evidence", "json", "依据", "the indicator values behind the decision (name -> value)"),
         _c("explanation_zh", "str", "说明", "explanation in Chinese"),
         _c("explanation_en", "str", "Explanation", "explanation in English"),
         _c("level_zh", "str", "等级", "红牌 / 黄牌 / 绿牌 / 无法评估", extra=True),
         _c("action_zh", "str", "建议（中文）", "扩大招生 / 保持规模 / 调减招生 / 暂停招生", extra=True),
         _c("target_year", "int", "毕业年份", "year the plan-year cohort graduates", "year", extra=True),
         _c("allocation_note", "str", "分配说明", "how a region-wide limit changed this school's number",
            extra=True),
         _c("not_rated_reason", "str", "不评估原因", "for level not_rated: why (no_crosswalk, no_demand_series, "
            "sectors_not_rated, no_forecast - no major_pressure row, no_outcomes - no employment outcome yet); "
            "null otherwise", extra=True)),
        key=("region", "school", "major", "plan_year"), year_column="plan_year"),
}

RESULT_KINDS: tuple[str, ...] = tuple(RESULT_SCHEMAS)

# The run record: one per pipeline run, stored beside its results.
RUN_COLUMNS: tuple[ResultColumn, ...] = (
    _c("run_id", "int", "运行编号", "run number (increasing)", nullable=False),
    _c("created_at", "str", "运行时间", "when the run was stored (UTC, ISO 8601)", nullable=False),
    _c("scenario_id", "str", "情景", "scenario id; null for the baseline"),
    _c("scenario", "json", "情景定义", "the scenario's changes as given"),
    _c("dataset_versions", "json", "数据版本", "{table: version} of the inputs the run used"),
    _c("mlflow_run_id", "str", "MLflow运行", "MLflow run that tracks the forecasts"),
    _c("horizon", "int", "预测期", "forecast years", "years"),
    _c("status", "str", "状态", "complete (only complete runs are served)"),
    _c("notes", "str", "备注", "what the run noticed about its inputs"),
)


def result_schema(kind: str) -> ResultSchema:
    """The schema of result `kind` (KeyError naming the known kinds otherwise)."""
    try:
        return RESULT_SCHEMAS[kind]
    except KeyError:
        raise KeyError(f"unknown result '{kind}'; known: {', '.join(RESULT_KINDS)}") from None


def headers_zh(kind: str) -> dict[str, str]:
    """{column: Chinese header} of result `kind` (names beside codes get "<header>名称")."""
    schema = result_schema(kind)
    out = {c.name: c.zh for c in schema.columns}
    for code in schema.code_columns:
        out[f"{code}_name"] = schema.column(code).zh.replace("代码", "名称")
    return out


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def to_markdown() -> str:
    """Every result table and the run record as Markdown (docs/results-contract.md is this text)."""
    lines = ["# Results contract (输出数据约定)", "",
             "Generated from `features/results.py` by `python -m features.results > docs/results-contract.md`;",
             "storage, the API's response models, the CLI and the exports all read that module.", "",
             "Units: persons are head counts per year; ratios are openings / entrants; probabilities are shares",
             "of simulated futures in [0, 1]. Columns marked *extra* are stored in the run's JSON `extra` column.",
             ""]
    for schema in RESULT_SCHEMAS.values():
        lines += [f"## `{schema.kind}` ({schema.title_zh})", "", schema.description, "",
                  f"- Key: {', '.join(f'`{k}`' for k in schema.key)}", "",
                  "| column | 中文表头 | type | unit | null | description |", "|---|---|---|---|---|---|"]
        for c in schema.columns:
            lines.append(_row([f"`{c.name}`", c.zh, c.dtype + (" (extra)" if c.extra else ""), c.unit,
                               "yes" if c.nullable else "no", c.description]))
        lines.append("")
    lines += ["## Run record (`runs`)", "", "| column | 中文表头 | type | unit | null | description |",
              "|---|---|---|---|---|---|"]
    for c in RUN_COLUMNS:
        lines.append(_row([f"`{c.name}`", c.zh, c.dtype, c.unit, "yes" if c.nullable else "no", c.description]))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(to_markdown(), end="")
