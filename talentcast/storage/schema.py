"""Database schema as SQLAlchemy Core tables.

The input tables are derived from `features.contract.SCHEMAS`, so a contract column has the same name and a
matching type in the database. The result tables are derived from the results contract, `features.results.RESULT_SCHEMAS`. Alembic
migrations (``talentcast/storage/migrations``) are the only thing that creates or alters these tables; this
module is their reference and is what `tests/test_storage.py` compares the migrated database against.
"""

from __future__ import annotations

import sqlalchemy as sa

from features.contract import SCHEMAS, TableSchema
from features.results import RESULT_SCHEMAS

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

# Typed columns of each result kind, from the results contract (features/results.py). Any other column of a
# result frame goes into the JSON `extra` column.
RESULT_COLUMNS: dict[str, dict[str, str]] = {kind: schema.typed_columns for kind, schema in RESULT_SCHEMAS.items()}

RESULT_KINDS = tuple(RESULT_COLUMNS)

# Columns the API filters on; each gets an index together with run_id.
FILTER_COLUMNS = ("region", "sector", "year", "plan_year", "school", "major", "level")

_RESULT_SQL_TYPES = {"str": sa.Text(), "int": sa.Integer(), "float": sa.Double(), "json": sa.JSON()}


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
    # "sha256$<hex digest of the whole key>": keys are high-entropy random tokens, so a digest compared in
    # constant time is enough; the plaintext key is never stored.
    sa.Column("key_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("school", sa.Text, nullable=True),
    sa.Column("region", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
