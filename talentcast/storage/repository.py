"""The Storage class: the only code in talentcast that reads and writes the database.

Everything is SQLAlchemy Core (no SQLite-only SQL), so the same code runs on SQLite and PostgreSQL. Writes
that must be all-or-nothing (a dataset version with its rows; a run with all its result frames) happen in
one transaction; rows go in with executemany in batches, never as one ORM object per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import secrets
import string
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.contract import SCHEMAS, TABLE_NAMES, TableSchema
from features.errors import TalentcastError
from talentcast.storage import migrate
from talentcast.storage.schema import (
    RESULT_COLUMNS,
    RESULT_KINDS,
    api_keys,
    data_tables,
    dataset_versions,
    result_tables,
    runs as runs_table,
)

ROLES = ("admin", "planner", "school")
RUN_STATUS_COMPLETE = "complete"

# Rows per executemany call: large enough to amortise round trips, small enough to bound memory per batch.
_BATCH_ROWS = 5000

# API keys: "tc_<prefix 8>_<secret 32>" from [a-z0-9] / [A-Za-z0-9]. The secret has ~190 bits of entropy, so
# key stretching matters far less than for passwords; 60 000 PBKDF2 rounds keep a first check at tens of ms.
_KEY_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_KEY_SECRET_ALPHABET = string.ascii_letters + string.digits
_PBKDF2_ITERATIONS = 60_000
# Seconds a verified key is trusted from memory; a revoke in this process clears it at once, one in another
# process (the CLI while the API runs) takes effect within this time.
_KEY_CACHE_SECONDS = 5.0
_KEY_CACHE_MAX = 1024
_WRITE_OPTION = "talentcast_write"


class NotFoundError(TalentcastError):
    """The requested dataset, version or run does not exist (the API maps it to 404)."""


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


@dataclass
class RunMeta:
    """Metadata of one pipeline run. `run_id` and `created_at` are filled in by `Storage.save_run`."""

    run_id: int | None = None
    created_at: dt.datetime | None = None
    scenario_id: str | None = None
    scenario: dict = field(default_factory=dict)
    dataset_versions: dict[str, int] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    horizon: int | None = None
    status: str = RUN_STATUS_COMPLETE
    notes: str | None = None


@dataclass(frozen=True)
class ApiKey:
    """A stored API key (never the plaintext)."""

    id: int
    prefix: str
    role: str
    school: str | None
    region: str | None
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Storage:
    """Database access for dataset versions, pipeline runs and their results, and API keys.

    Args:
        url: SQLAlchemy URL; None -> `Settings().database_url` (a SQLite file under TALENTCAST_HOME).
            PostgreSQL: ``postgresql+psycopg://user:pass@host/db`` (install the ``postgres`` extra).
        upgrade: run Alembic ``upgrade head`` on open (a single SELECT when the schema is current).
    """

    def __init__(self, url: str | None = None, *, upgrade: bool = True):
        if url is None:
            from talentcast.settings import get_settings

            settings = get_settings()
            url = settings.database_url
            if url.startswith("sqlite:///"):
                settings.ensure_home()
        self.url = url
        self.engine = _make_engine(url)
        # Writes go through this view of the same pool: on SQLite it opens BEGIN IMMEDIATE (see _make_engine).
        self._writer = self.engine.execution_options(**{_WRITE_OPTION: True})
        if upgrade:
            migrate.upgrade(self._writer)
        self._key_cache: OrderedDict[str, tuple[float, ApiKey]] = OrderedDict()
        self._key_cache_lock = threading.Lock()

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def __enter__(self) -> "Storage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Storage({self.engine.url.render_as_string(hide_password=True)!r})"

    # ---------------------------------------------------------------- dataset versions

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
            key = tuple(_native(v) for v in typed.iloc[rows[0]][list(schema.key)])
            same = [int(r) + 2 for r in rows if tuple(_native(v) for v in typed.iloc[r][list(schema.key)]) == key]
            raise TalentcastError(
                f"{source_file}: rows {', '.join(map(str, same[:5]))}: duplicate key {'/'.join(schema.key)} = "
                f"{'/'.join(map(str, key))} (each key may appear once); nothing was stored")
        checksum = frame_checksum(schema, typed)
        meta_json = _jsonable(dict(metadata or {}), where=f"metadata of {table}")
        columns = _columns(typed)
        data_table = data_tables[table]
        for attempt in range(3):
            created_at = _utcnow()
            try:
                with self._writer.begin() as conn:
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
                    _bulk_insert(conn, data_table, {"version_id": [version_id] * len(typed),
                                                    "row_number": list(range(len(typed))), **columns})
            except sa.exc.IntegrityError as exc:
                if attempt < 2 and _is_version_race(exc):
                    continue  # another writer took this version number first; take the next one
                raise TalentcastError(
                    f"{source_file}: cannot store table '{table}': {_integrity_reason(exc, schema)}; "
                    "nothing was stored"
                ) from None
            except sa.exc.DataError as exc:
                # A value the database cannot hold (e.g. a NUL character in text on PostgreSQL).
                reason = str(exc.orig).strip().splitlines()[0]
                raise TalentcastError(
                    f"{source_file}: cannot store table '{table}': {reason}; nothing was stored") from None
            return DatasetVersion(table, version, len(typed), checksum, str(source_file), created_at,
                                  meta_json, version_id)
        raise AssertionError("unreachable")

    def versions(self, table: str | None = None) -> list[DatasetVersion]:
        """All dataset versions, ordered by table (contract order) then version."""
        query = sa.select(dataset_versions)
        if table is not None:
            _schema(table)
            query = query.where(dataset_versions.c.table_name == table)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        order = {name: i for i, name in enumerate(TABLE_NAMES)}
        found = [_version_from_row(r) for r in rows]
        return sorted(found, key=lambda v: (order.get(v.table, len(order)), v.table, v.version))

    def current_versions(self) -> dict[str, int]:
        """{table: latest version} for every table that has at least one version."""
        query = (sa.select(dataset_versions.c.table_name, sa.func.max(dataset_versions.c.version))
                 .group_by(dataset_versions.c.table_name))
        with self.engine.connect() as conn:
            found = dict(conn.execute(query).all())
        return {t: int(found[t]) for t in TABLE_NAMES if t in found}

    def current_version(self, table: str) -> DatasetVersion | None:
        """The latest version of `table`, or None if it was never ingested."""
        _schema(table)
        query = (sa.select(dataset_versions).where(dataset_versions.c.table_name == table)
                 .order_by(dataset_versions.c.version.desc()).limit(1))
        with self.engine.connect() as conn:
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
        with self.engine.connect() as conn:
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
                        "or `talentcast demo`")
                known = [v.version for v in self.versions(table)]
                raise NotFoundError(f"table '{table}' has no version {version}; versions: {known or 'none'}")
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

    # ---------------------------------------------------------------- runs and results

    def save_run(self, results: Mapping[str, pd.DataFrame], meta: RunMeta) -> int:
        """Write a run row and all its result frames in one transaction; returns the new run_id.

        Readers (`latest_run`, `load_results(run_id=None)`) see the run only after the commit, complete, so
        they never mix rows of two runs. `meta.run_id`, `created_at` and `status` are set on `meta`.

        Raises:
            TalentcastError: an unknown result kind, or a value that cannot be stored.
        """
        unknown = sorted(set(results) - set(RESULT_KINDS))
        if unknown:
            raise TalentcastError(f"unknown result kind(s) {unknown}; known kinds: {', '.join(RESULT_KINDS)}")
        created_at = _utcnow()
        run_values = dict(
            created_at=created_at,
            scenario_id=meta.scenario_id,
            scenario=_jsonable(meta.scenario or {}, where="run scenario"),
            dataset_versions=_jsonable(dict(meta.dataset_versions or {}), where="run dataset_versions"),
            mlflow_run_id=meta.mlflow_run_id,
            horizon=None if meta.horizon is None else int(meta.horizon),
            status=RUN_STATUS_COMPLETE,
            notes=meta.notes,
        )
        with self._writer.begin() as conn:
            run_id = int(conn.execute(runs_table.insert().values(**run_values)).inserted_primary_key[0])
            for kind, frame in results.items():
                columns = _result_columns(kind, frame)
                _bulk_insert(conn, result_tables[kind], {"run_id": [run_id] * len(frame),
                                                         "row_number": list(range(len(frame))), **columns})
        meta.run_id, meta.created_at, meta.status = run_id, created_at, RUN_STATUS_COMPLETE
        return run_id

    def latest_run(self, scenario_id: str | None = None) -> RunMeta | None:
        """The latest completed run: the baseline when `scenario_id` is None, else that scenario's."""
        condition = runs_table.c.scenario_id.is_(None) if scenario_id is None else runs_table.c.scenario_id == scenario_id
        query = (sa.select(runs_table).where(runs_table.c.status == RUN_STATUS_COMPLETE, condition)
                 .order_by(runs_table.c.run_id.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _run_from_row(row) if row is not None else None

    def get_run(self, run_id: int) -> RunMeta:
        """One run by id. Raises NotFoundError if there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(runs_table).where(runs_table.c.run_id == int(run_id))).mappings().first()
        if row is None:
            raise NotFoundError(f"run {run_id} does not exist")
        return _run_from_row(row)

    def runs(self) -> list[RunMeta]:
        """All runs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(runs_table).order_by(runs_table.c.run_id.desc())).mappings().all()
        return [_run_from_row(r) for r in rows]

    def load_results(self, kind: str, run_id: int | None = None, filters: Mapping[str, Any] | None = None,
                     year_from: int | None = None, year_to: int | None = None, limit: int | None = None,
                     offset: int = 0) -> pd.DataFrame:
        """Result rows of one kind for one run, in the order they were saved.

        Args:
            kind: demand, supply, supply_by_sector, gaps, major_pressure or warnings.
            run_id: a run; None -> the latest completed baseline run.
            filters: {column: value or list of values} on typed columns, e.g. {"region": "450200"}.
            year_from / year_to: inclusive bounds on `year` (`plan_year` for warnings).
            limit / offset: paging.

        Returns:
            Typed columns in contract order, then any extra columns; list/dict columns as Python objects.

        Raises:
            TalentcastError: unknown kind or filter column. NotFoundError: no such run / no run yet.
        """
        if kind not in RESULT_COLUMNS:
            raise TalentcastError(f"unknown result kind '{kind}'; known kinds: {', '.join(RESULT_KINDS)}")
        spec = RESULT_COLUMNS[kind]
        table = result_tables[kind]
        if run_id is None:
            latest = self.latest_run()
            if latest is None:
                raise NotFoundError("no completed baseline run yet; run `talentcast pipeline run` first")
            run_id = latest.run_id
        else:
            self.get_run(run_id)
        query = sa.select(table).where(table.c.run_id == int(run_id))
        for column, value in (filters or {}).items():
            if column not in spec or spec[column] == "json":
                allowed = [c for c, t in spec.items() if t != "json"]
                raise TalentcastError(f"cannot filter {kind} on '{column}'; columns: {', '.join(allowed)}")
            if isinstance(value, (list, tuple, set, frozenset)):
                query = query.where(table.c[column].in_([_native(v) for v in value]))
            elif value is None:
                query = query.where(table.c[column].is_(None))
            else:
                query = query.where(table.c[column] == _native(value))
        year_column = "plan_year" if "plan_year" in spec else "year"
        if year_from is not None:
            query = query.where(table.c[year_column] >= int(year_from))
        if year_to is not None:
            query = query.where(table.c[year_column] <= int(year_to))
        query = query.order_by(table.c.row_number)
        if limit is not None:
            query = query.limit(int(limit))
        if offset:
            query = query.offset(int(offset))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return _results_frame(kind, rows, [c.name for c in table.columns])

    # ---------------------------------------------------------------- API keys

    def create_api_key(self, role: str, school: str | None = None, region: str | None = None,
                       name: str = "") -> tuple[str, ApiKey]:
        """Create an API key. Returns (plaintext, ApiKey); the plaintext is not stored and cannot be shown again.

        Raises:
            TalentcastError: unknown role, or a school key without a school.
        """
        if role not in ROLES:
            raise TalentcastError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
        if role == "school" and not school:
            raise TalentcastError("a key with role 'school' needs the school code it may see (--school)")
        secret = "".join(secrets.choice(_KEY_SECRET_ALPHABET) for _ in range(32))
        created_at = _utcnow()
        for _ in range(5):
            # A leading letter keeps a prefix from ever looking like a numeric key id.
            prefix = secrets.choice(string.ascii_lowercase) + "".join(
                secrets.choice(_KEY_PREFIX_ALPHABET) for _ in range(7))
            try:
                with self._writer.begin() as conn:
                    key_id = conn.execute(api_keys.insert().values(
                        prefix=prefix, key_hash=_hash_secret(secret), role=role, school=school or None,
                        region=region or None, name=name or "", created_at=created_at,
                    )).inserted_primary_key[0]
            except sa.exc.IntegrityError:
                continue  # prefix collision (1 in 2.8e12 per pair); draw another
            key = ApiKey(int(key_id), prefix, role, school or None, region or None, name or "", created_at)
            return f"tc_{prefix}_{secret}", key
        raise TalentcastError("could not allocate a unique API key prefix; try again")

    def verify_api_key(self, plaintext: str) -> ApiKey | None:
        """The active key matching `plaintext`, or None if it is malformed, unknown or revoked.

        The key is found by its prefix and the secret compared in constant time against the salted hash.
        Successful checks are remembered in memory for a few seconds (keyed by SHA-256 of the plaintext), so
        repeated verification of the same key costs microseconds.
        """
        if not isinstance(plaintext, str):
            return None
        digest = hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()
        now = time.monotonic()
        with self._key_cache_lock:
            hit = self._key_cache.get(digest)
            if hit is not None and hit[0] > now:
                return hit[1]
        parts = plaintext.strip().split("_")
        if len(parts) != 3 or parts[0] != "tc" or len(parts[1]) != 8 or len(parts[2]) != 32:
            return None
        prefix, secret = parts[1], parts[2]
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.prefix == prefix)).mappings().first()
        if row is None or row["revoked_at"] is not None or not _check_secret(secret, row["key_hash"]):
            return None
        key = _key_from_row(row)
        with self._key_cache_lock:
            self._key_cache[digest] = (now + _KEY_CACHE_SECONDS, key)
            while len(self._key_cache) > _KEY_CACHE_MAX:
                self._key_cache.popitem(last=False)
        return key

    def list_api_keys(self) -> list[ApiKey]:
        """All keys (active and revoked), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.id)).mappings().all()
        return [_key_from_row(r) for r in rows]

    def revoke_api_key(self, key_id_or_prefix: int | str) -> ApiKey:
        """Revoke a key by id or prefix (idempotent: revoking twice keeps the first time).

        Raises:
            NotFoundError: no such key.
        """
        with self._writer.begin() as conn:
            row = None
            if isinstance(key_id_or_prefix, str):
                text = key_id_or_prefix.strip()
                if text.startswith("tc_"):  # a whole plaintext key or "tc_<prefix>"
                    text = text.split("_")[1] if text.count("_") >= 1 else text
                row = conn.execute(sa.select(api_keys).where(api_keys.c.prefix == text)).mappings().first()
                if row is None and text.isdigit():
                    key_id_or_prefix = int(text)
            if row is None and isinstance(key_id_or_prefix, int):
                row = conn.execute(
                    sa.select(api_keys).where(api_keys.c.id == key_id_or_prefix)).mappings().first()
            if row is None:
                raise NotFoundError(f"no API key with id or prefix '{key_id_or_prefix}'")
            if row["revoked_at"] is None:
                conn.execute(api_keys.update().where(api_keys.c.id == row["id"]).values(revoked_at=_utcnow()))
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == row["id"])).mappings().first()
        key = _key_from_row(row)
        with self._key_cache_lock:
            for digest in [d for d, (_, k) in self._key_cache.items() if k.id == key.id]:
                del self._key_cache[digest]
        return key


# -------------------------------------------------------------------- engine


def _make_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        if url.startswith("sqlite:///") and url not in ("sqlite://", "sqlite:///:memory:"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            # Take transaction control away from the sqlite3 module, which neither wraps DDL in transactions
            # nor begins before a SELECT; SQLAlchemy's "begin" event below emits BEGIN instead (the recipe in
            # the SQLAlchemy SQLite dialect docs).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # WAL lets API reads proceed while an ingest writes; the busy timeout makes a second writer wait
            # for the lock instead of failing at once; SQLite enforces foreign keys only when asked.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            # A writer takes the write lock up front (waiting up to busy_timeout for another writer) instead of
            # upgrading a read lock mid-transaction, which WAL refuses at once with SQLITE_BUSY. Readers begin
            # deferred and read a consistent snapshot while a writer works.
            write = conn.get_execution_options().get(_WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


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
        raise TalentcastError(f"unknown table '{table}'; known tables: {', '.join(TABLE_NAMES)}") from None


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
        raise TalentcastError(f"{where}: table '{schema.name}' is missing required column(s) {missing}")
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
        f"{where}: row {position + 2}, column '{name}', value {values.iloc[position]!r} {reason}")


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


def _columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Columns as lists of plain Python values (None for missing): what every DB-API driver accepts."""
    return {name: _column_values(frame[name]) for name in frame.columns}


def _bulk_insert(conn: sa.Connection, table: sa.Table, columns: dict[str, list[Any]]) -> None:
    """Insert column-wise data in bulk, inside the caller's transaction.

    SQLAlchemy's per-row parameter processing costs more than the database itself at tens of thousands of
    rows, so the two supported drivers get the rows directly: SQLite through `exec_driver_sql` executemany
    with the INSERT that SQLAlchemy compiled for this dialect, PostgreSQL (psycopg) through COPY FROM STDIN
    (which SQLAlchemy's cursor events do not see). JSON columns are serialised here for those paths. Any
    other database uses Core executemany.
    """
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if count == 0:
        return
    dialect, driver = conn.dialect.name, conn.dialect.driver
    if not (dialect == "sqlite" or (dialect == "postgresql" and driver == "psycopg")):
        for start in range(0, count, _BATCH_ROWS):
            stop = min(start + _BATCH_ROWS, count)
            conn.execute(table.insert(), [dict(zip(names, row)) for row in
                                          zip(*(columns[n][start:stop] for n in names))])
        return
    if dialect == "sqlite":
        compiled = table.insert().compile(dialect=conn.dialect, column_keys=names)
        names = list(compiled.positiontup)
        statement = str(compiled)
    else:
        quote = conn.dialect.identifier_preparer.quote
        statement = (f"COPY {conn.dialect.identifier_preparer.format_table(table)} "
                     f"({', '.join(quote(n) for n in names)}) FROM STDIN")
    values = []
    for name in names:
        column = columns[name]
        if isinstance(table.c[name].type, sa.JSON):
            column = [None if v is None else json.dumps(v, ensure_ascii=False) for v in column]
        values.append(column)
    rows = list(zip(*values))
    if dialect == "sqlite":
        # exec_driver_sql hands the tuples to the driver unprocessed but still fires SQLAlchemy's cursor
        # events and translates driver errors (sqlalchemy.exc.IntegrityError etc.).
        for start in range(0, count, _BATCH_ROWS):
            conn.exec_driver_sql(statement, rows[start:start + _BATCH_ROWS])
        return
    dbapi = conn.dialect.dbapi
    cursor = conn.connection.driver_connection.cursor()  # the connection of this transaction
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi.IntegrityError as exc:
        raise sa.exc.IntegrityError(statement, None, exc) from exc
    except dbapi.DataError as exc:
        raise sa.exc.DataError(statement, None, exc) from exc
    except dbapi.Error as exc:
        raise sa.exc.DBAPIError(statement, None, exc) from exc
    finally:
        cursor.close()


def _column_values(series: pd.Series) -> list[Any]:
    mask = series.isna().to_numpy()
    values = series.tolist()  # native int/float/bool for numpy and nullable dtypes
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
        values = [_native(v) for v in values]
    if mask.any():
        values = [None if m else v for v, m in zip(values, mask)]
    return values


def _native(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _result_columns(kind: str, frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Columns of a result frame: typed columns as values (JSON columns as JSON), the rest in `extra`."""
    spec = RESULT_COLUMNS[kind]
    records: dict[str, list[Any]] = {}
    for name, type_ in spec.items():
        if name not in frame.columns:
            records[name] = [None] * len(frame)
        elif type_ == "json":
            records[name] = [_jsonable(v, where=f"{kind}.{name}") for v in frame[name].tolist()]
        elif type_ == "int":
            values = _column_values(frame[name])
            if not pd.api.types.is_integer_dtype(frame[name].dtype):
                values = [None if v is None else _whole(v, kind, name) for v in values]
            records[name] = values
        elif type_ == "float":
            column = frame[name]
            if column.dtype == object:
                numbers = pd.to_numeric(column, errors="coerce")
                bad = numbers.isna() & column.notna()
                if bad.any():
                    position = int(np.flatnonzero(bad.to_numpy())[0])
                    raise TalentcastError(f"result {kind}: row {position}, column '{name}', value "
                                          f"{column.iloc[position]!r} is not a number")
                column = numbers
            values = _column_values(column)  # NaN -> None already
            if not pd.api.types.is_float_dtype(column.dtype):
                values = [None if v is None else float(v) for v in values]
            records[name] = values
        else:
            values = _column_values(frame[name])
            if pd.api.types.infer_dtype(frame[name], skipna=True) not in ("string", "empty"):
                values = [None if v is None else str(v) for v in values]
            records[name] = values
    extra_columns = [c for c in frame.columns if c not in spec and c not in ("run_id", "row_number", "extra")]
    if extra_columns:
        extra_values = {c: [_jsonable(v, where=f"{kind}.{c}") for v in frame[c].tolist()] for c in extra_columns}
        records["extra"] = [dict(zip(extra_columns, row)) for row in zip(*extra_values.values())]
    else:
        records["extra"] = [None] * len(frame)
    return records


def _whole(value: Any, kind: str, name: str) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    raise TalentcastError(f"result {kind}: column '{name}' must hold whole numbers, got {value!r}")


def _results_frame(kind: str, rows: list, db_columns: list[str]) -> pd.DataFrame:
    spec = RESULT_COLUMNS[kind]
    raw = pd.DataFrame.from_records(rows, columns=db_columns)
    out: dict[str, pd.Series] = {}
    for name, type_ in spec.items():
        values = raw[name]
        if type_ == "float":
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif type_ == "int":
            out[name] = values.astype("Int64") if values.isna().any() else values.astype("int64")
        else:
            out[name] = values.astype(object).where(values.notna(), None)
    frame = pd.DataFrame(out, index=raw.index)
    extra_keys: dict[str, None] = {}
    for item in raw["extra"]:
        if isinstance(item, dict):
            extra_keys.update(dict.fromkeys(item))
    for key in extra_keys:
        frame[key] = [item.get(key) if isinstance(item, dict) else None for item in raw["extra"]]
    return frame.reset_index(drop=True)


def _jsonable(value: Any, where: str) -> Any:
    """`value` as plain JSON types (numpy scalars unwrapped, NaN -> None, timestamps -> ISO text)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.generic):
        return _jsonable(value.item(), where)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        return [_jsonable(v, where) for v in (list(value) if not isinstance(value, set) else sorted(value))]
    try:
        json.dumps(value)
    except TypeError:
        raise TalentcastError(f"{where}: value {value!r} of type {type(value).__name__} cannot be stored as JSON"
                              ) from None
    return value


# -------------------------------------------------------------------- row -> object


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite returns naive datetimes even for timezone=True columns; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _version_from_row(row: Mapping[str, Any]) -> DatasetVersion:
    return DatasetVersion(
        table=row["table_name"], version=int(row["version"]), rows=int(row["rows"]), checksum=row["checksum"],
        source_file=row["source_file"], created_at=_aware(row["created_at"]), metadata=row["metadata"] or {},
        id=int(row["id"]),
    )


def _run_from_row(row: Mapping[str, Any]) -> RunMeta:
    return RunMeta(
        run_id=int(row["run_id"]), created_at=_aware(row["created_at"]), scenario_id=row["scenario_id"],
        scenario=row["scenario"] or {}, dataset_versions=row["dataset_versions"] or {},
        mlflow_run_id=row["mlflow_run_id"], horizon=row["horizon"], status=row["status"], notes=row["notes"],
    )


def _key_from_row(row: Mapping[str, Any]) -> ApiKey:
    return ApiKey(
        id=int(row["id"]), prefix=row["prefix"], role=row["role"], school=row["school"], region=row["region"],
        name=row["name"], created_at=_aware(row["created_at"]), revoked_at=_aware(row["revoked_at"]),
    )


# -------------------------------------------------------------------- errors and hashing


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


def _hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, _PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${_PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"


def _check_secret(secret: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if algorithm != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), bytes.fromhex(salt_hex), int(iterations))
    return hmac.compare_digest(digest, bytes.fromhex(digest_hex))


__all__ = ["ApiKey", "DatasetVersion", "NotFoundError", "RunMeta", "Storage", "coerce_to_contract",
           "frame_checksum", "referenced_tables"]
