"""Dataset versions: immutable, checksummed versions of the contract's input tables.

`DatasetStore.ingest` stores a validated frame as the next version of its table (the version row and all its
rows in one transaction); `load_table(s)` read a version back with the contract's columns and dtypes.
`coerce_to_contract`, `frame_checksum` and `referenced_tables` are the frame-level helpers (no database).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.contract import SCHEMAS, TABLE_NAMES, TableSchema
from features.errors import TalentcastError
from talentcast.storage.database import (
    Database,
    NotFoundError,
    aware,
    bulk_insert,
    frame_columns,
    json_value,
    plain,
    utcnow,
)
from talentcast.storage.schema import data_tables, dataset_versions


@dataclass(frozen=True)
class DatasetVersion:
    """One immutable version of an input table."""

    table: str
    version: int
    rows: int
    checksum: str
    source_file: str
    created_at: dt.datetime
    metadata: dict = field(default_factory=dict)
    id: int | None = None

    def __str__(self) -> str:
        return f"{self.table} v{self.version}: {self.rows} rows, sha256 {self.checksum[:12]}, from {self.source_file}"


class DatasetStore:
    """Dataset versions in one database (see `talentcast.storage.Storage`, which combines the stores)."""

    def __init__(self, database: Database):
        self.database = database

    def ingest(self, table: str, frame: pd.DataFrame, source_file: str,
               metadata: Mapping[str, Any] | None = None) -> DatasetVersion:
        """Store a validated frame as the next version of `table`, atomically.

        Either the version row and all its data rows are committed, or (on any error) nothing is.

        Args:
            table: contract table name.
            frame: validated frame with the contract columns (extra columns are ignored).
            source_file: where the rows came from (file name or a label such as "embedded:demo").
            metadata: JSON-serialisable facts about the version, e.g. {"synthetic": true, "seed": 1}.

        Returns:
            The new DatasetVersion.

        Raises:
            TalentcastError: unknown table, missing columns, values of the wrong type, duplicate keys.
        """
        schema = _schema(table)
        typed = coerce_to_contract(schema, frame, where=source_file)
        duplicated = typed.duplicated(list(schema.key), keep=False).to_numpy()
        if duplicated.any():
            # The UNIQUE constraint would refuse it too; finding it here names the rows (spreadsheet numbering).
            rows = np.flatnonzero(duplicated)
            key = tuple(plain(v) for v in typed.iloc[rows[0]][list(schema.key)])
            same = [int(r) + 2 for r in rows if tuple(plain(v) for v in typed.iloc[r][list(schema.key)]) == key]
            raise TalentcastError(
                f"{source_file}: rows {', '.join(map(str, same[:5]))}: duplicate key {'/'.join(schema.key)} = "
                f"{'/'.join(map(str, key))} (each key may appear once); nothing was stored",
                f"{source_file}：第 {'、'.join(map(str, same[:5]))} 行的键 {'/'.join(schema.key)} = "
                f"{'/'.join(map(str, key))} 重复（每个键只能出现一次）；未保存任何数据")
        checksum = frame_checksum(schema, typed)
        meta_json = json_value(dict(metadata or {}), where=f"metadata of {table}")
        columns = frame_columns(typed)
        data_table = data_tables[table]
        for attempt in range(3):
            created_at = utcnow()
            try:
                with self.database.write() as conn:
                    _lock_table_versions(conn, table)
                    latest = conn.execute(
                        sa.select(sa.func.max(dataset_versions.c.version))
                        .where(dataset_versions.c.table_name == table)
                    ).scalar()
                    version = (latest or 0) + 1
                    version_id = conn.execute(
                        dataset_versions.insert().values(
                            table_name=table, version=version, rows=len(typed), checksum=checksum,
                            source_file=str(source_file), created_at=created_at, metadata=meta_json,
                        )
                    ).inserted_primary_key[0]
                    bulk_insert(conn, data_table, {"version_id": [version_id] * len(typed),
                                                    "row_number": list(range(len(typed))), **columns})
            except sa.exc.IntegrityError as exc:
                if attempt < 2 and _is_version_race(exc):
                    continue  # another writer took this version number first; take the next one
                raise TalentcastError(
                    f"{source_file}: cannot store table '{table}': {_integrity_reason(exc, schema)}; "
                    "nothing was stored",
                    f"{source_file}：无法保存“{table}”表（{_integrity_reason(exc, schema)}）；未保存任何数据"
                ) from None
            except sa.exc.DataError as exc:
                # A value the database cannot hold (e.g. a NUL character in text on PostgreSQL).
                reason = str(exc.orig).strip().splitlines()[0]
                raise TalentcastError(
                    f"{source_file}: cannot store table '{table}': {reason}; nothing was stored",
                    f"{source_file}：无法保存“{table}”表（{reason}）；未保存任何数据") from None
            return DatasetVersion(table, version, len(typed), checksum, str(source_file), created_at,
                                  meta_json, version_id)
        raise AssertionError("unreachable")

    def versions(self, table: str | None = None) -> list[DatasetVersion]:
        """All dataset versions, ordered by table (contract order) then version."""
        query = sa.select(dataset_versions)
        if table is not None:
            _schema(table)
            query = query.where(dataset_versions.c.table_name == table)
        with self.database.read() as conn:
            rows = conn.execute(query).mappings().all()
        order = {name: i for i, name in enumerate(TABLE_NAMES)}
        found = [_version_from_row(r) for r in rows]
        return sorted(found, key=lambda v: (order.get(v.table, len(order)), v.table, v.version))

    def current_versions(self) -> dict[str, int]:
        """{table: latest version} for every table that has at least one version."""
        query = (sa.select(dataset_versions.c.table_name, sa.func.max(dataset_versions.c.version))
                 .group_by(dataset_versions.c.table_name))
        with self.database.read() as conn:
            found = dict(conn.execute(query).all())
        return {t: int(found[t]) for t in TABLE_NAMES if t in found}

    def current_version(self, table: str) -> DatasetVersion | None:
        """The latest version of `table`, or None if it was never ingested."""
        _schema(table)
        query = (sa.select(dataset_versions).where(dataset_versions.c.table_name == table)
                 .order_by(dataset_versions.c.version.desc()).limit(1))
        with self.database.read() as conn:
            row = conn.execute(query).mappings().first()
        return _version_from_row(row) if row is not None else None

    def load_table(self, table: str, version: int | None = None) -> pd.DataFrame:
        """Rows of one version of `table` (latest by default) with the contract columns and dtypes.

        Dtypes: str/period -> object (str, None when missing); int -> int64 (Int64 for optional columns);
        float -> float64; bool -> boolean.

        Raises:
            NotFoundError: the table has no versions, or not the one asked for.
        """
        schema = _schema(table)
        data_table = data_tables[table]
        with self.database.read() as conn:
            query = sa.select(dataset_versions.c.id, dataset_versions.c.version).where(
                dataset_versions.c.table_name == table)
            if version is None:
                query = query.order_by(dataset_versions.c.version.desc()).limit(1)
            else:
                query = query.where(dataset_versions.c.version == int(version))
            found = conn.execute(query).first()
            if found is None:
                if version is None:
                    raise NotFoundError(
                        f"table '{table}' has no data yet; load it with `talentcast ingest {table} FILE` "
                        "or `talentcast demo`",
                        f"“{table}”表还没有数据；请用 `talentcast ingest {table} FILE` 或 `talentcast demo` 载入")
                known = [v.version for v in self.versions(table)]
                raise NotFoundError(f"table '{table}' has no version {version}; versions: {known or 'none'}",
                                    f"“{table}”表没有版本 {version}；已有版本：{known or '无'}")
            columns = [data_table.c[name] for name in schema.column_names]
            rows = conn.execute(
                sa.select(*columns).where(data_table.c.version_id == found.id).order_by(data_table.c.row_number)
            ).all()
        frame = pd.DataFrame.from_records(rows, columns=schema.column_names)
        return coerce_to_contract(schema, frame, where=f"database table {table} v{found.version}")

    def load_tables(self, tables: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """Latest version of each of `tables` (default: all) that has data; tables never ingested are left out."""
        names = list(TABLE_NAMES if tables is None else tables)
        for name in names:
            _schema(name)
        current = self.current_versions()
        return {name: self.load_table(name, current[name]) for name in names if name in current}

    def load_references(self, table: str) -> dict[str, pd.DataFrame]:
        """Latest versions of the other tables that `table` references (what validation checks codes against)."""
        return self.load_tables(referenced_tables(table))

    def is_current(self, table: str, frame: pd.DataFrame) -> DatasetVersion | None:
        """The current version of `table` if it holds exactly the rows of `frame` (same checksum), else None."""
        current = self.current_version(table)
        if current is None:
            return None
        schema = _schema(table)
        checksum = frame_checksum(schema, coerce_to_contract(schema, frame))
        return current if checksum == current.checksum else None


def _lock_table_versions(conn: sa.Connection, table: str) -> None:
    """Serialise version numbering of one table across writers.

    SQLite needs nothing: BEGIN IMMEDIATE already admits one writer at a time. PostgreSQL takes a
    transaction-scoped advisory lock per table, so concurrent ingests of a table queue instead of colliding on
    the (table_name, version) unique constraint; ingests of different tables still run in parallel.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(f"talentcast:{table}".encode())})


# -------------------------------------------------------------------- frames <-> rows


def _schema(table: str) -> TableSchema:
    try:
        return SCHEMAS[table]
    except KeyError:
        raise TalentcastError(f"unknown table '{table}'; known tables: {', '.join(TABLE_NAMES)}",
                          f"未知的表“{table}”；可用的表：{'、'.join(TABLE_NAMES)}") from None


def referenced_tables(table: str) -> list[str]:
    """Other contract tables that columns of `table` reference, in contract order (self-references excluded)."""
    schema = _schema(table)
    targets = {c.references.split(".", 1)[0] for c in schema.columns if c.references}
    return [name for name in TABLE_NAMES if name in targets and name != table]


def coerce_to_contract(schema: TableSchema, frame: pd.DataFrame, where: str = "frame") -> pd.DataFrame:
    """Return `frame` with exactly the contract columns of `schema`, in order, with contract dtypes.

    Missing optional columns are added empty. Raises TalentcastError for a missing required column or a value
    that does not fit its column's type (naming `where`, the column, the row and the value).
    """
    missing = [c for c in schema.required_columns if c not in frame.columns]
    if missing:
        raise TalentcastError(f"{where}: table '{schema.name}' is missing required column(s) {missing}",
                          f"{where}：“{schema.name}”表缺少必需的列 {missing}")
    out = {}
    for col in schema.columns:
        if col.name not in frame.columns:
            values = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        else:
            values = frame[col.name]
        out[col.name] = _coerce_column(values, col.dtype, col.required, where, col.name)
    return pd.DataFrame(out).reset_index(drop=True)


def _coerce_column(values: pd.Series, dtype: str, required: bool, where: str, name: str) -> pd.Series:
    if dtype in ("str", "period"):
        text = values if values.dtype == object else values.astype(object)
        mask = text.isna()
        if mask.any():
            text = text.where(~mask, None)
        # Validated frames already hold str/None; only convert cell by cell when something else is there.
        if pd.api.types.infer_dtype(text, skipna=True) not in ("string", "empty"):
            text = text.map(lambda v: v if v is None or isinstance(v, str) else _text(v))
        return text.astype(object)
    if dtype == "bool":
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("boolean")
        mapping = {"true": True, "false": False, "1": True, "0": False, "": None}
        converted = values.map(lambda v: v if isinstance(v, (bool, np.bool_)) or v is None or v is pd.NA
                               else mapping.get(str(v).strip().lower(), "bad"))
        bad = converted.map(lambda v: isinstance(v, str))
        if bad.any():
            _bad_value(where, name, values, bad, "is not true/false")
        return converted.astype("boolean")
    if values.dtype == object:
        blank = values.isna() | values.map(lambda v: isinstance(v, str) and not v.strip())
        numbers = pd.to_numeric(values.where(~blank, np.nan), errors="coerce")
    else:
        blank = values.isna()
        numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & ~blank
    if bad.any():
        _bad_value(where, name, values, bad, "is not a number")
    if dtype == "float":
        return numbers.astype("float64")
    # dtype == "int"
    finite = numbers.dropna()
    fractional = (finite != np.floor(finite))
    if fractional.any():
        _bad_value(where, name, values, fractional.reindex(values.index, fill_value=False), "is not a whole number")
    as_int = numbers.astype("Int64")
    if required and not as_int.isna().any():
        return as_int.astype("int64")
    return as_int


def _bad_value(where: str, name: str, values: pd.Series, bad: pd.Series, reason: str) -> None:
    position = int(np.flatnonzero(bad.to_numpy())[0])
    raise TalentcastError(
        f"{where}: row {position + 2}, column '{name}', value {values.iloc[position]!r} {reason}",
        f"{where}：第{position + 2}行，“{name}”列，值 {values.iloc[position]!r} 无法保存（{reason}）")


def _text(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def frame_checksum(schema: TableSchema, typed: pd.DataFrame) -> str:
    """SHA-256 of the canonical CSV of a contract-typed frame: contract column order, rows sorted by key,
    UTF-8, "\\n" line ends, missing values empty, floats in shortest round-trip form.

    Row order does not change the checksum, so the same data in another order is recognised as the same.
    """
    canonical = typed.sort_values(list(schema.key), kind="mergesort").reset_index(drop=True)
    text = canonical.to_csv(index=False, lineterminator="\n", na_rep="")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _version_from_row(row: Mapping[str, Any]) -> DatasetVersion:
    return DatasetVersion(
        table=row["table_name"], version=int(row["version"]), rows=int(row["rows"]), checksum=row["checksum"],
        source_file=row["source_file"], created_at=aware(row["created_at"]), metadata=row["metadata"] or {},
        id=int(row["id"]),
    )


def _is_version_race(exc: sa.exc.IntegrityError) -> bool:
    text = str(exc.orig).lower()
    # SQLite names the columns, PostgreSQL the constraint.
    return "dataset_versions.table_name" in text or "uq_dataset_versions_table_name_version" in text


def _integrity_reason(exc: sa.exc.IntegrityError, schema: TableSchema) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return f"duplicate key {list(schema.key)} (each key may appear once)"
    if "not null" in text or "null value" in text:
        column = re.search(r'null value in column "(\w+)"|not null constraint failed: \w+\.(\w+)', text)
        name = next((g for g in column.groups() if g), "?") if column else "?"
        return f"required column '{name}' is empty in at least one row"
    return str(exc.orig).splitlines()[0]
