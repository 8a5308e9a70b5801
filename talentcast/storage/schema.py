"""Database schema as SQLAlchemy Core tables.

The input tables are derived from `features.contract.SCHEMAS`, so a contract column has the same name and a
matching type in the database. The result tables follow the column lists in docs/INTERFACES.md. Alembic
migrations (``talentcast/storage/migrations``) are the only thing that creates or alters these tables; this
module is their reference and is what `tests/test_storage.py` compares the migrated database against.
"""

from __future__ import annotations

import sqlalchemy as sa

from features.contract import SCHEMAS, TableSchema

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_N_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Contract dtype -> database type. Text (not VARCHAR(n)) so long Chinese names never hit a length limit.
_SQL_TYPES: dict[str, sa.types.TypeEngine] = {
    "str": sa.Text(),
    "period": sa.Text(),
    "int": sa.BigInteger(),
    "float": sa.Double(),
    "bool": sa.Boolean(),
}

dataset_versions = sa.Table(
    "dataset_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.UniqueConstraint("table_name", "version"),
)


def data_table_name(table: str) -> str:
    """Name of the database table holding the rows of contract table `table`."""
    return f"data_{table}"


def _data_table(schema: TableSchema) -> sa.Table:
    columns = [
        sa.Column("version_id", sa.Integer, sa.ForeignKey("dataset_versions.id"), primary_key=True),
        # Row order of the ingested file, so a version loads back exactly as it was given.
        sa.Column("row_number", sa.Integer, primary_key=True, autoincrement=False),
    ]
    for col in schema.columns:
        columns.append(sa.Column(col.name, _SQL_TYPES[col.dtype], nullable=not col.required))
    # The contract key is unique within a version: the database refuses duplicates even if validation missed one.
    return sa.Table(data_table_name(schema.name), metadata, *columns, sa.UniqueConstraint("version_id", *schema.key))


data_tables: dict[str, sa.Table] = {name: _data_table(schema) for name, schema in SCHEMAS.items()}

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("scenario_id", sa.String(128), nullable=True),
    sa.Column("scenario", sa.JSON, nullable=False),
    sa.Column("dataset_versions", sa.JSON, nullable=False),
    sa.Column("mlflow_run_id", sa.String(64), nullable=True),
    sa.Column("horizon", sa.Integer, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("notes", sa.Text, nullable=True),
    sa.Index("ix_runs_status_scenario", "status", "scenario_id", "run_id"),
)

_S, _I, _F, _J = "str", "int", "float", "json"

# Typed columns of each result kind (docs/INTERFACES.md, section Results). Any other column of a result frame
# goes into the JSON `extra` column.
RESULT_COLUMNS: dict[str, dict[str, str]] = {
    "demand": {
        "region": _S, "sector": _S, "year": _I,
        "employment_mean": _F, "employment_lo_80": _F, "employment_hi_80": _F,
        "expansion_mean": _F, "replacement_mean": _F, "openings_mean": _F,
        "graduate_openings_mean": _F, "graduate_openings_lo_80": _F, "graduate_openings_hi_80": _F,
        "graduate_openings_lo_95": _F, "graduate_openings_hi_95": _F, "model": _S,
    },
    "supply": {
        "region": _S, "school": _S, "major": _S, "year": _I, "intake_source": _S,
        "expected_graduates": _F, "graduate_entrants": _F,
    },
    "supply_by_sector": {"region": _S, "sector": _S, "year": _I, "graduate_entrants": _F},
    "gaps": {
        "region": _S, "sector": _S, "year": _I, "openings_mean": _F, "supply_mean": _F,
        "gap_mean": _F, "gap_lo_80": _F, "gap_hi_80": _F, "gap_lo_95": _F, "gap_hi_95": _F,
        "ratio_median": _F, "ratio_lo_80": _F, "ratio_hi_80": _F, "ratio_lo_95": _F, "ratio_hi_95": _F,
        "p_shortage": _F, "p_surplus": _F, "shortage_threshold": _F, "surplus_threshold": _F,
    },
    "major_pressure": {
        "region": _S, "major": _S, "year": _I, "pressure_median": _F, "pressure_lo_80": _F,
        "pressure_hi_80": _F, "p_shortage": _F, "p_surplus": _F,
    },
    "warnings": {
        "region": _S, "school": _S, "major": _S, "plan_year": _I, "rule_set": _S, "level": _S, "action": _S,
        # Intakes are persons, but stored as floats so that a fractional recommendation is never truncated.
        "current_intake": _F, "recommended_intake": _F, "rules_fired": _J, "evidence": _J,
        "explanation_zh": _S, "explanation_en": _S,
    },
}

RESULT_KINDS = tuple(RESULT_COLUMNS)

# Columns the API filters on; each gets an index together with run_id.
FILTER_COLUMNS = ("region", "sector", "year", "plan_year", "school", "major", "level")

_RESULT_SQL_TYPES = {_S: sa.Text(), _I: sa.Integer(), _F: sa.Double(), _J: sa.JSON()}


def result_table_name(kind: str) -> str:
    """Name of the database table holding results of `kind`."""
    return f"result_{kind}"


def _result_table(kind: str, columns: dict[str, str]) -> sa.Table:
    table_name = result_table_name(kind)
    cols = [
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("row_number", sa.Integer, primary_key=True, autoincrement=False),
    ]
    # Every result column is nullable: an interval a model could not produce is stored as NULL, not invented.
    cols += [sa.Column(name, _RESULT_SQL_TYPES[kind_], nullable=True) for name, kind_ in columns.items()]
    cols.append(sa.Column("extra", sa.JSON, nullable=True))
    indexes = [sa.Index(f"ix_{table_name}_run_{c}", "run_id", c) for c in FILTER_COLUMNS if c in columns]
    return sa.Table(table_name, metadata, *cols, *indexes)


result_tables: dict[str, sa.Table] = {kind: _result_table(kind, cols) for kind, cols in RESULT_COLUMNS.items()}

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    # "pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>": the plaintext key is never stored.
    sa.Column("key_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("school", sa.Text, nullable=True),
    sa.Column("region", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
