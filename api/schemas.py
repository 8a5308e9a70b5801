"""Response (and request) models of the HTTP API.

Every route declares one of these as its `response_model`, so the OpenAPI schema documents each field and
FastAPI filters out anything a model does not list (no internal column can leak by accident).

Names are bilingual: each item carries `name_zh` and `name_en`, and `name` holds the one picked by the
request's `Accept-Language` (zh-CN by default, `en` for English; the other language is the fallback when a
name is missing). Result items carry the names of the codes they mention (`region_name`, `sector_name`, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from features.results import result_schema

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: `total` rows match the filters; `items` holds rows offset..offset+limit."""

    total: int = Field(description="rows matching the filters (all pages)")
    limit: int
    offset: int
    items: list[T]
    generated: bool | None = Field(default=None, description="reference lists: the table version holds "
                                   "GENERATED (synthetic) rows, e.g. the demo's fictional schools")


class ResultPage(Page[T], Generic[T]):
    """A page of computed results; all rows come from the one pipeline run `run_id`."""

    run_id: int | None = Field(description="pipeline run the rows come from (None: no run yet)")
    generated_inputs: list[str] = Field(default_factory=list, description="input tables of the run that hold "
                                        "GENERATED (synthetic) data: the numbers are a demonstration, not facts")
    scenario_id: str | None = None
    run_created_at: datetime | None = None
    mlflow_run_id: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded", "failing"] = Field(
        default="ok", description="degraded: the MLflow store fails (GET /v1/models 503); failing: the database")
    version: str
    database: str = Field(default="ok", description="ok, or why the database cannot be used")
    tracking: str = Field(default="ok", description="ok, or why the MLflow store cannot be used")
    datasets: dict[str, int] = Field(default_factory=dict, description="latest stored version of each table")
    latest_run_id: int | None = Field(default=None,
                                      description="latest completed baseline run (None: run `talentcast demo`)")
    hint: str | None = Field(default=None, description="what to do next when the database is empty")


# --- reference data -------------------------------------------------------------------------------------


class Named(BaseModel):
    code: str
    name: str | None = Field(description="name in the language of the request (Accept-Language)")
    name_zh: str | None = None
    name_en: str | None = None


class Region(Named):
    parent: str | None = None
    level: str | None = Field(default=None, description="province / city / district")


class Sector(Named):
    parent: str | None = None


class Major(Named):
    level: str | None = Field(default=None, description="中职 / 高职专科 / 职业本科 / 本科")
    category: str | None = None
    duration_years: int | None = None


class School(Named):
    region: str | None = None
    type: str | None = Field(default=None, description="中职 / 高职 / 职业本科 / 本科")


# --- results --------------------------------------------------------------------------------------------


_PY_TYPES: dict[str, Any] = {"str": str, "int": int, "float": float}


def result_model(kind: str, model_name: str, extra_fields: dict[str, Any] | None = None) -> type[BaseModel]:
    """A response model for result `kind`, built from the results contract (features/results.py).

    Each code column gets a `<code>_name` beside it (the name in the request's language); JSON columns become
    lists (rules_fired) or dicts (evidence); every field carries the contract's description and unit.
    """
    schema = result_schema(kind)
    fields: dict[str, Any] = {}
    for column in schema.columns:
        description = column.description + (f" ({column.unit})" if column.unit else "") + f" [{column.zh}]"
        if column.dtype == "json":
            list_like = column.name == "rules_fired"
            annotation = list[str] if list_like else dict[str, Any]
            fields[column.name] = (annotation, Field(default_factory=list if list_like else dict,
                                                     description=description))
        elif column.nullable:
            fields[column.name] = (_PY_TYPES[column.dtype] | None, Field(default=None, description=description))
        else:
            fields[column.name] = (_PY_TYPES[column.dtype], Field(description=description))
        if column.name in schema.code_columns:
            fields[f"{column.name}_name"] = (str | None, Field(default=None, description="name in the language "
                                                               "of the request"))
    fields.update(extra_fields or {})
    return create_model(model_name, __doc__=schema.description, **fields)


DemandForecast = result_model("demand", "DemandForecast")
SupplyForecast = result_model("supply", "SupplyForecast")
Gap = result_model("gaps", "Gap", {
    "rating_note": (str | None, Field(default=None, description="why the gap is not rated (no ratio), in the "
                                      "language of the request; null when rated"))})
MajorPressure = result_model("major_pressure", "MajorPressure")
Warning = result_model("warnings", "Warning", {  # noqa: A001 - the domain word; shadows the builtin here only
    "explanation": (str | None, Field(default=None, description="explanation in the language of the request"))})


# --- scenarios ------------------------------------------------------------------------------------------


class ScenarioResult(BaseModel):
    """Gaps and warnings under a what-if scenario; nothing is stored."""

    baseline_run_id: int | None
    scenario: dict[str, Any]
    gaps: list[Gap]
    warnings: list[Warning]
    generated_inputs: list[str] = Field(default_factory=list,
                                        description="input tables of the baseline run holding GENERATED data")


# --- datasets, models, runs -----------------------------------------------------------------------------


class DatasetVersion(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    table: str
    version: int
    rows: int
    checksum: str | None = None
    source_file: str | None = None
    created_at: datetime | None = None
    metadata: dict[str, Any] | None = None


class IssueOut(BaseModel):
    """One validation problem, located as in the CLI's report (row 2 = first data row)."""

    file: str
    row: int | None = None
    column: str | None = None
    value: Any = None
    reason: str
    reason_zh: str | None = Field(default=None, description="the reason in Chinese")
    severity: str
    message: str = Field(description="the issue as one line, exactly as the CLI prints it (English / Chinese)")
    message_en: str | None = Field(default=None, description="the issue as one line in English")
    message_zh: str | None = Field(default=None, description="the issue as one line in Chinese")


class ValidationReport(BaseModel):
    table: str
    file: str
    valid: bool
    stored: bool
    version: int | None = Field(default=None, description="new dataset version (only when stored)")
    rows: int | None = None
    errors: int
    warnings: int
    detail: str | None = Field(default=None, description="one-line summary (English / Chinese), as the CLI prints "
                               "it after the issues; for an unreadable file the reason")
    issues: list[IssueOut]


class RequestErrors(BaseModel):
    """FastAPI's answer to a malformed request (missing or mistyped parameter): 422 with a list of errors."""

    detail: list[dict[str, Any]]


class ModelVersion(BaseModel):
    """A registered version of the demand model (MLflow), served by alias (e.g. @champion)."""

    name: str
    version: int
    aliases: list[str] = Field(default_factory=list)
    metric: str | None = Field(default=None, description="backtest metric the version was compared on")
    metric_value: float | None = None
    promoted: bool | None = Field(default=None, description="became @champion when registered")
    champion_value_before: float | None = None
    run_id: str | None = None
    created_at: datetime | None = None
    config: str | None = Field(default=None, description="engine configuration served by the version")
    metrics: dict[str, float | None] = Field(default_factory=dict,
                                             description="all metrics of the MLflow run (backtest metrics)")


class Run(BaseModel):
    run_id: int
    created_at: datetime | None = None
    scenario_id: str | None = None
    dataset_versions: dict[str, int] = Field(default_factory=dict)
    mlflow_run_id: str | None = None
    horizon: int | None = None
    status: str | None = None


class RunRequest(BaseModel):
    """Body of POST /v1/runs (all optional)."""

    model_config = ConfigDict(extra="forbid")

    horizon: int | None = Field(default=None, ge=1, le=20, description="years ahead; default Settings.horizon_years")
    method: str | None = Field(default=None, max_length=40, description="forecasting method; default auto")
    n_paths: int = Field(default=1000, ge=10, le=20000, description="sample paths per series")
    track: bool = Field(default=True, description="record forecasts and backtests in MLflow")
