"""The data contract: one documented schema per input table.

Every table that enters talentcast is described here once: its columns, their types and units, its key,
and the references it makes to other tables. Readers, validation, storage, the API and the docs all read
these definitions, so a column is renamed in exactly one place.

Domain words (glossary):
    region   GB/T 2260 administrative code, 6 digits (450000 广西, 450200 柳州).
    sector   GB/T 4754-2017 industry code: a section letter (C) or a division (C36), or a plan grouping.
    major    MOE catalogue code (职业教育专业目录 2021 / 普通高等学校本科专业目录), 6 digits (460701).
    school   a school's own code (教育部学校标识码 or a local code).
    intake   students admitted in a year (招生人数), persons.
    graduates   students completing the programme in a year, persons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

MIN_YEAR = 1990
MAX_YEAR = 2060

# Plausible ranges of the contract's numbers (#15). Every "int" and "float" column declares both bounds (checked
# below at import); validation applies them, so a value that would overflow int64 (9223372036854775808), an
# absurd 1e308 or a typo ten thousand times too large is refused with its file, row, column and value instead of
# being stored and moving every ratio. The bounds are generous: ten times the largest real value we know of.
MAX_EMPLOYED = 1_000_000_000
"""Employed persons of one region x sector x year: China's whole workforce is about 740 million."""
MAX_JOB_COUNT = 100_000_000
"""Vacancies or job seekers of one region x sector x period (national monthly totals are a few million)."""
MAX_PROGRAMME_PERSONS = 1_000_000
"""Intake or graduates of one school x major x year (the largest schools admit about 20,000 a year in all)."""
MAX_DURATION_YEARS = 8
MAX_SAFE_INTEGER = 2 ** 53
"""No bound may exceed this: every integer up to it is exact as a float64 and as an int64 (validation parses
numbers as float64, storage keeps int64)."""
# The project's one default random seed (sample paths, supply draws, generated data): typed here only, every
# layer above imports it (forecasting.pipeline, talentcast.settings).
DEFAULT_SEED = 20261129


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes:
        name: column name as it appears in files.
        dtype: one of "str", "int", "float", "period" (YYYY or YYYY-MM), "bool".
        description: what it means (English, Chinese in brackets where useful).
        unit: unit of measure, "" for codes and names.
        required: a value must be present in every row.
        minimum / maximum: inclusive numeric bounds (None = unbounded).
        choices: allowed values (None = any).
        references: "table.column" this column must match (foreign key).
    """

    name: str
    dtype: str
    description: str
    unit: str = ""
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    references: str | None = None

    def __post_init__(self) -> None:
        # One place for the bounds: a numeric column without them would let any number through.
        if self.dtype in ("int", "float"):
            if self.minimum is None or self.maximum is None:
                raise ValueError(f"column {self.name}: a number column declares its minimum and maximum")
            if max(abs(self.minimum), abs(self.maximum)) > MAX_SAFE_INTEGER:
                raise ValueError(f"column {self.name}: bounds beyond 2**53 are not exact in float64 / int64")


@dataclass(frozen=True)
class TableSchema:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional: bool = False
    checks: tuple[str, ...] = field(default_factory=tuple)  # names of table-level checks (see validation)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


REGION_LEVELS = ("province", "city", "district")
MAJOR_LEVELS = ("中职", "高职专科", "职业本科", "本科")
SCHOOL_TYPES = ("中职", "高职", "职业本科", "本科")
# Default programme lengths by level (years); medical 本科 may be 5 and is then given per major.
DEFAULT_DURATION_YEARS = {"中职": 3, "高职专科": 3, "职业本科": 4, "本科": 4}

_year = dict(dtype="int", unit="year", minimum=MIN_YEAR, maximum=MAX_YEAR)
_persons = dict(unit="persons", minimum=0, maximum=MAX_PROGRAMME_PERSONS)

REGIONS = TableSchema(
    name="regions",
    description="Administrative regions (GB/T 2260). 行政区划。",
    columns=(
        Column("code", "str", "GB/T 2260 six-digit code, e.g. 450200 (柳州市)"),
        Column("name_zh", "str", "Chinese name, e.g. 柳州市"),
        Column("name_en", "str", "English name, e.g. Liuzhou", required=False),
        Column("parent", "str", "code of the parent region; empty for a province", required=False,
               references="regions.code"),
        Column("level", "str", "province / city / district", choices=REGION_LEVELS),
    ),
    key=("code",),
)

SECTORS = TableSchema(
    name="sectors",
    description="Industry sectors: GB/T 4754 sections (A..S), divisions (C36) and plan groupings. 行业。",
    columns=(
        Column("code", "str", "GB/T 4754 section letter, division (letter + 2 digits) or a grouping code"),
        Column("name_zh", "str", "Chinese name, e.g. 汽车制造业"),
        Column("name_en", "str", "English name", required=False),
        Column("parent", "str", "code of the parent sector (C for C36); empty for a section",
               required=False, references="sectors.code"),
    ),
    key=("code",),
)

EMPLOYMENT = TableSchema(
    name="employment",
    description="Employed persons by region, sector and year (year-end, urban units). 分行业就业人员。",
    columns=(
        Column("region", "str", "region code", references="regions.code"),
        Column("sector", "str", "sector code", references="sectors.code"),
        Column("year", description="calendar year", **_year),
        Column("employed", "float", "employed persons at year end", unit="persons", minimum=0,
               maximum=MAX_EMPLOYED),
    ),
    key=("region", "sector", "year"),
    checks=("series_gaps",),
)

VACANCIES = TableSchema(
    name="vacancies",
    description="Public employment service vacancies and job seekers (求人倍率 = vacancies / job_seekers).",
    columns=(
        Column("region", "str", "region code", references="regions.code"),
        Column("sector", "str", "sector code", references="sectors.code"),
        Column("period", "period", "YYYY or YYYY-MM (or YYYYQn is not accepted: use the quarter's last month)"),
        Column("vacancies", "float", "posted vacancies in the period", unit="persons", minimum=0,
               maximum=MAX_JOB_COUNT),
        Column("job_seekers", "float", "registered job seekers in the period", unit="persons", minimum=0,
               maximum=MAX_JOB_COUNT),
    ),
    key=("region", "sector", "period"),
    optional=True,
)

MAJORS = TableSchema(
    name="majors",
    description="Majors from the MOE catalogues. 专业目录。",
    columns=(
        Column("code", "str", "MOE major code (6 digits)"),
        Column("name_zh", "str", "Chinese name, e.g. 新能源汽车技术"),
        Column("name_en", "str", "English name", required=False),
        Column("level", "str", "中职 / 高职专科 / 职业本科 / 本科", choices=MAJOR_LEVELS),
        Column("category", "str", "专业类 (e.g. 4607汽车制造类)", required=False),
        Column("duration_years", "int", "programme length", unit="years", minimum=1,
               maximum=MAX_DURATION_YEARS),
    ),
    key=("code",),
)

SCHOOLS = TableSchema(
    name="schools",
    description="Schools offering majors. 院校。",
    columns=(
        Column("code", "str", "school code"),
        Column("name", "str", "school name (Chinese)"),
        Column("name_en", "str", "English name", required=False),
        Column("region", "str", "region code where the school is", references="regions.code"),
        Column("type", "str", "中职 / 高职 / 职业本科 / 本科", choices=SCHOOL_TYPES),
    ),
    key=("code",),
)

ENROLMENT = TableSchema(
    name="enrolment",
    description=(
        "Intake and graduate outcomes per school, major and year. 招生与毕业去向。 "
        "graduates of year t belong to the cohort admitted in t - duration_years. "
        "Employment rate = graduates_employed / graduates (毕业去向落实率 counts further study too: "
        "(graduates_employed + graduates_further_study) / graduates); local retention = graduates_local / "
        "graduates_employed."
    ),
    columns=(
        Column("school", "str", "school code", references="schools.code"),
        Column("major", "str", "major code", references="majors.code"),
        Column("year", description="academic year of admission / graduation", **_year),
        Column("intake", "int", "students admitted this year", **_persons),
        Column("graduates", "int", "students graduating this year", required=False, **_persons),
        Column("graduates_employed", "int", "graduates employed by the survey date (excl. further study)",
               required=False, **_persons),
        Column("graduates_further_study", "int", "graduates going on to further study (升学)", required=False,
               **_persons),
        Column("graduates_local", "int", "employed graduates working in the school's city", required=False,
               **_persons),
    ),
    key=("school", "major", "year"),
    checks=("graduates_not_above_cohort", "outcomes_not_above_graduates", "series_gaps"),
)

MAJOR_SECTOR_MAP = TableSchema(
    name="major_sector_map",
    description="Crosswalk from majors to the sectors their graduates enter; weights of one major sum to 1.",
    columns=(
        Column("major", "str", "major code", references="majors.code"),
        Column("sector", "str", "sector code", references="sectors.code"),
        Column("weight", "float", "share of the major's graduates entering the sector", minimum=0, maximum=1),
    ),
    key=("major", "sector"),
    checks=("weights_sum_to_one",),
)

SECTOR_PARAMETERS = TableSchema(
    name="sector_parameters",
    description=(
        "Per-sector demand parameters. replacement_rate: share of employment leaving each year "
        "(retirement, death, leaving the occupation), default 0.03; graduate_entry_share: share of openings "
        "filled by new graduates (the rest by migrants and job changers), default 0.5."
    ),
    columns=(
        Column("sector", "str", "sector code", references="sectors.code"),
        Column("replacement_rate", "float", "yearly outflow share of employment", unit="1/year",
               minimum=0, maximum=0.5),
        Column("graduate_entry_share", "float", "share of openings filled by new graduates",
               minimum=0, maximum=1),
    ),
    key=("sector",),
    optional=True,
)

DEFAULT_REPLACEMENT_RATE = 0.03
DEFAULT_GRADUATE_ENTRY_SHARE = 0.5

# Order matters: a table may reference only tables listed before it (ingest order of the demo).
SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in (REGIONS, SECTORS, EMPLOYMENT, VACANCIES, MAJORS, SCHOOLS, ENROLMENT, MAJOR_SECTOR_MAP,
              SECTOR_PARAMETERS)
}

TABLE_NAMES = tuple(SCHEMAS)


def get_schema(table: str) -> TableSchema:
    """Return the schema of `table`, or raise KeyError naming the known tables."""
    try:
        return SCHEMAS[table]
    except KeyError:
        raise KeyError(f"unknown table '{table}'; known tables: {', '.join(TABLE_NAMES)}") from None


# Chinese header names accepted in place of the column names (files filled in by schools and bureaus often
# carry Chinese headers). The first one is the canonical Chinese name shown in the docs and templates.
COLUMN_NAMES_ZH: dict[str, dict[str, tuple[str, ...]]] = {
    "regions": {"code": ("行政区划代码", "地区代码"), "name_zh": ("名称", "地区名称"), "name_en": ("英文名称",),
                "parent": ("上级代码", "上级行政区划代码"), "level": ("级别", "层级")},
    "sectors": {"code": ("行业代码",), "name_zh": ("行业名称",), "name_en": ("英文名称",),
                "parent": ("上级行业代码",)},
    "employment": {"region": ("地区代码",), "sector": ("行业代码",), "year": ("年份",),
                   "employed": ("就业人数", "就业人员")},
    "vacancies": {"region": ("地区代码",), "sector": ("行业代码",), "period": ("时期", "年月"),
                  "vacancies": ("需求人数", "岗位空缺数", "招聘需求人数"), "job_seekers": ("求职人数",)},
    "majors": {"code": ("专业代码",), "name_zh": ("专业名称",), "name_en": ("英文名称",), "level": ("层次", "办学层次"),
               "category": ("专业类",), "duration_years": ("学制", "修业年限")},
    "schools": {"code": ("学校代码", "学校标识码"), "name": ("学校名称",), "name_en": ("英文名称",),
                "region": ("地区代码", "所在地区代码"), "type": ("办学类型", "学校类型")},
    "enrolment": {"school": ("学校代码", "学校标识码"), "major": ("专业代码",), "year": ("年份", "年度"),
                  "intake": ("招生人数", "招生数"), "graduates": ("毕业生人数", "毕业生数"),
                  "graduates_employed": ("就业人数", "毕业生就业人数"),
                  "graduates_further_study": ("升学人数",), "graduates_local": ("本地就业人数",)},
    "major_sector_map": {"major": ("专业代码",), "sector": ("行业代码",), "weight": ("权重", "比例")},
    "sector_parameters": {"sector": ("行业代码",), "replacement_rate": ("更替率", "补充需求率"),
                          "graduate_entry_share": ("毕业生入职占比",)},
}


def template_header(table: str, column: str) -> str:
    """The bilingual header a template gives a column: canonical Chinese name, a space, the column name
    (e.g. "学校代码 code"); validation reads it as the column."""
    zh = COLUMN_NAMES_ZH.get(table, {}).get(column, ())
    return f"{zh[0]} {column}" if zh else column


def header_aliases(table: str) -> dict[str, str]:
    """Header -> column name for `table`: the Chinese names of COLUMN_NAMES_ZH and the bilingual template
    headers ("学校代码 code"; any Chinese name, a space, the column name)."""
    out: dict[str, str] = {}
    for column, aliases in COLUMN_NAMES_ZH.get(table, {}).items():
        for alias in aliases:
            out[alias] = column
            out[f"{alias} {column}"] = column
    return out


# Values accepted in place of a choice: files filled in by schools and bureaus say 省 / 市 / 区, 高职 or 大专
# where the contract says province / city / district or 高职专科. {table: {column: {canonical: aliases}}}.
# Matching ignores case, spaces and the width of brackets (see `value_key`); validation stores the canonical
# value and says which values it accepts when one is not among them. The first alias is the one messages show.
VALUE_ALIASES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "regions": {"level": {
        "province": ("省", "省级", "自治区", "直辖市", "省份"),
        "city": ("市", "地级市", "地级", "市级", "地区", "自治州", "州", "盟"),
        "district": ("区", "县", "区县", "县区", "县级", "县级市", "市辖区", "旗", "自治县"),
    }},
    "majors": {"level": {
        "中职": ("中专", "中等职业教育", "中等职业", "中职专业", "职高", "secondary vocational"),
        "高职专科": ("高职", "专科", "大专", "高职高专", "高职(专科)", "专科(高职)", "高等职业教育专科",
                   "higher vocational"),
        "职业本科": ("职教本科", "本科(职业)", "本科(职业教育)", "职业教育本科", "本科层次职业教育", "高职本科",
                 "vocational bachelor"),
        "本科": ("普通本科", "本科(普通)", "bachelor", "undergraduate"),
    }},
    "schools": {"type": {
        "中职": ("中专", "中等职业学校", "中职学校", "职高", "职业高中", "技工学校"),
        "高职": ("高职专科", "高职院校", "专科", "大专", "高职高专", "高等职业学校", "高等职业院校", "职业技术学院"),
        "职业本科": ("职业本科学校", "职教本科", "职业技术大学", "本科层次职业学校"),
        "本科": ("普通本科", "本科院校", "普通本科高校", "普通本科学校"),
    }},
}

# Spellings of true / false accepted in "bool" columns (compared like choices, see `value_key`).
BOOLEAN_VALUES: dict[bool, tuple[str, ...]] = {
    True: ("true", "1", "yes", "y", "t", "是", "对", "真", "有", "√"),
    False: ("false", "0", "no", "n", "f", "否", "错", "假", "无", "×"),
}


def value_key(text: str) -> str:
    """How a written value is compared with choices and their aliases: no spaces, case folded, full-width
    brackets as ASCII ("高职（专科）" and "高职(专科)" match; "Province" matches "province")."""
    return "".join(str(text).split()).casefold().replace("（", "(").replace("）", ")")


@lru_cache(maxsize=None)
def choice_lookup(table: str, column: str) -> dict[str, str]:
    """{value_key(accepted value): canonical value} of a choice column (the choices and VALUE_ALIASES)."""
    choices = get_schema(table).column(column).choices or ()
    out = {value_key(choice): choice for choice in choices}
    for canonical, aliases in VALUE_ALIASES.get(table, {}).get(column, {}).items():
        for alias in aliases:
            out.setdefault(value_key(alias), canonical)
    return out


def choices_text(table: str, column: str, aliases_shown: int = 2, separator: str = ", ") -> str:
    """The allowed values of a choice column with a few accepted variants: "province (省, 省级), city (市, ...)"."""
    choices = get_schema(table).column(column).choices or ()
    variants = VALUE_ALIASES.get(table, {}).get(column, {})
    parts = []
    for choice in choices:
        shown = variants.get(choice, ())[:aliases_shown]
        parts.append(f"{choice} ({', '.join(shown)})" if shown else choice)
    return separator.join(parts)


CHECK_DESCRIPTIONS: dict[str, str] = {
    "weights_sum_to_one": "the weights of each major sum to 1 (within 1e-6); error names the major, the sum and "
                          "its rows",
    "graduates_not_above_cohort": "graduates of year t do not exceed the intake of the same school and major in "
                                  "t - duration_years (duration from majors; checked where that intake row "
                                  "exists)",
    "outcomes_not_above_graduates": "graduates_employed + graduates_further_study <= graduates, and "
                                    "graduates_local <= graduates_employed",
    "series_gaps": "warning (not an error) when a series (the key without the year) misses a year between its "
                   "first and last year",
}
"""What each table-level check in `TableSchema.checks` verifies (implemented in features.validation)."""

_DTYPE_TEXT = {"str": "text", "int": "integer", "float": "number", "period": "year or year-month",
               "bool": "true/false"}


def _bound_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _allowed_text(column: Column, table: str | None = None) -> str:
    parts = []
    if column.choices is not None:
        parts.append(" / ".join(column.choices))
        variants = VALUE_ALIASES.get(table or "", {}).get(column.name, {})
        if variants:
            parts.append("also accepted: " + "; ".join(f"{', '.join(aliases)} -> {choice}"
                                                       for choice, aliases in variants.items()))
    if column.dtype == "bool":
        parts.append(" / ".join(f"{', '.join(BOOLEAN_VALUES[flag])}" for flag in (True, False)))
    if column.unit == "year" or column.dtype == "period":
        parts.append(f"{MIN_YEAR}..{MAX_YEAR}")
    elif column.minimum is not None and column.maximum is not None:
        parts.append(f"{_bound_text(column.minimum)}..{_bound_text(column.maximum)}")
    elif column.minimum is not None:
        parts.append(f">= {_bound_text(column.minimum)}")
    elif column.maximum is not None:
        parts.append(f"<= {_bound_text(column.maximum)}")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_to_markdown(schema: TableSchema) -> str:
    """Render one table schema as a Markdown section (heading, description, key, checks, column table)."""
    lines = [f"### `{schema.name}`{' (optional)' if schema.optional else ''}", "", schema.description, "",
             f"- Key (unique per row): {', '.join(f'`{k}`' for k in schema.key)}"]
    references = [f"`{c.name}` -> `{c.references}`" for c in schema.columns if c.references]
    if references:
        lines.append(f"- References: {', '.join(references)}")
    for check in schema.checks:
        lines.append(f"- Check `{check}`: {CHECK_DESCRIPTIONS.get(check, '')}")
    chinese = COLUMN_NAMES_ZH.get(schema.name, {})
    lines += ["", "| column | 中文表头 | type | unit | required | allowed | references | description |",
              "|---|---|---|---|---|---|---|---|"]
    for c in schema.columns:
        lines.append(f"| `{c.name}` | {' / '.join(chinese.get(c.name, ()))} | {_DTYPE_TEXT.get(c.dtype, c.dtype)} | "
                     f"{c.unit} | "
                     f"{'yes' if c.required else 'no'} | {_cell(_allowed_text(c, schema.name))} | "
                     f"{f'`{c.references}`' if c.references else ''} | {_cell(c.description)} |")
    return "\n".join(lines) + "\n"


def to_markdown() -> str:
    """Render every table schema of the contract, in ingest order, as Markdown (used by docs/data-contract.md)."""
    sections = [table_to_markdown(schema) for schema in SCHEMAS.values()]
    return "\n".join(sections)


if __name__ == "__main__":  # python -m features.contract > schemas.md (pasted into docs/data-contract.md)
    print(to_markdown(), end="")
