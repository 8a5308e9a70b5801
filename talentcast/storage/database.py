"""The database connection of talentcast's storage: engine creation, read and write transactions, migrations.

Everything is SQLAlchemy Core (no SQLite-only SQL), so the same code runs on SQLite and PostgreSQL. Writes
that must be all-or-nothing (a dataset version with its rows; a run with all its result frames) happen in one
`Database.write()` transaction; rows go in with `bulk_insert` (executemany in batches, or COPY on PostgreSQL),
never as one ORM object per row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from features.errors import TalentcastError
from features.jsonsafe import to_jsonable
from talentcast.settings import get_settings
from talentcast.storage.migrate import upgrade as upgrade_schema

# Rows per executemany call: large enough to amortise round trips, small enough to bound memory per batch.
BATCH_ROWS = 5000
_WRITE_OPTION = "talentcast_write"


class NotFoundError(TalentcastError):
    """The requested dataset, version, run or API key does not exist (the API maps it to 404)."""


class StoreUnavailable(TalentcastError):
    """A store (the database, the MLflow store) cannot be opened or written: a server-side fault, not the
    request's. The CLI prints the one line and exits 2; the API answers 503 and /v1/health reports it."""


def unavailable(what: str, where: str, exc: BaseException, advice: str, what_zh: str = "数据库"
                ) -> StoreUnavailable:
    """A StoreUnavailable naming the store, its path or URL, the reason in one line (no SQL) and what to do."""
    return StoreUnavailable(f"{what} {where} cannot be used: {short_reason(exc)}; {advice}",
                            f"{what_zh} {where} 无法使用（{short_reason(exc)}）：请检查该路径是否存在、是否可写，或换一个目录")


def short_reason(exc: BaseException) -> str:
    """The driver's own message, first line only: no SQL text, no parameters, no traceback."""
    original = getattr(exc, "orig", None) or exc
    if isinstance(original, OSError) and original.strerror:
        text = f"{original.strerror} ({original.filename})" if original.filename else original.strerror
    else:
        text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    return text.removeprefix("(sqlite3.OperationalError) ").removeprefix("(sqlite3.DatabaseError) ")


def database_location(url: str) -> str:
    """The file of a SQLite URL, else the URL without its password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(invalid URL)"


_DATABASE_ADVICE = ("check that the folder exists and this user may write there (a SQLite database needs the "
                    "folder writable too, for its journal), or choose another folder with --home / "
                    "TALENTCAST_HOME or another TALENTCAST_DATABASE_URL")


class Database:
    """An engine on one database, brought to the newest schema when opened.

    Args:
        url: SQLAlchemy URL; None -> `Settings().database_url` (a SQLite file under TALENTCAST_HOME).
            PostgreSQL: ``postgresql+psycopg://user:pass@host/db`` (install the ``postgres`` extra).
        upgrade: run Alembic ``upgrade head`` on open (a single SELECT when the schema is current).
    """

    def __init__(self, url: str | None = None, *, upgrade: bool = True):
        if url is None:
            settings = get_settings()
            url = settings.database_url
        self.url = url
        try:
            self.engine = make_engine(url)
            # Writes go through this view of the same pool: on SQLite it opens BEGIN IMMEDIATE (see make_engine).
            self.writer = self.engine.execution_options(**{_WRITE_OPTION: True})
            if upgrade:
                upgrade_schema(self.writer)
            else:
                with self.engine.connect():
                    pass
        except (sa.exc.OperationalError, sa.exc.DatabaseError, sa.exc.InterfaceError, OSError) as exc:
            # A read-only or missing home, a file that is not a database, a server that does not answer:
            # one line naming the place and what to do, never a traceback with SQL in it.
            engine = getattr(self, "engine", None)
            if engine is not None:
                engine.dispose()
            raise unavailable("the database", database_location(url), exc, _DATABASE_ADVICE) from None

    def read(self) -> sa.Connection:
        """A connection for reads (`with db.read() as conn:`); its transaction sees one consistent snapshot."""
        return self.engine.connect()

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction, committed on success and rolled back on any error.

        On SQLite it takes the write lock up front (waiting up to the busy timeout for another writer).
        """
        try:
            with self.writer.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            if not _is_store_fault(exc):
                raise
            raise unavailable("the database", database_location(self.url), exc, _DATABASE_ADVICE) from None

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"


def _is_store_fault(exc: sa.exc.OperationalError) -> bool:
    """True for faults of the place the database lives (read-only, full, unreadable), not of the statement."""
    text = str(getattr(exc, "orig", exc)).lower()
    return any(s in text for s in ("readonly", "read-only", "unable to open", "disk", "not a database",
                                   "malformed", "permission", "no such file"))


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; on SQLite with WAL, a busy timeout, foreign keys and explicit transactions."""
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        if url.startswith("sqlite:///") and url not in ("sqlite://", "sqlite:///:memory:"):
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


# -------------------------------------------------------------------- values and rows


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """`value` with UTC attached: SQLite returns naive datetimes even for timezone=True columns."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def plain(value: Any) -> Any:
    """A scalar as a plain Python value for a DB-API driver (numpy scalars unwrapped, NA/NaN -> None).

    Values JSON has no form for (e.g. an arbitrary object in an object column) are passed on unchanged.
    """
    try:
        return to_jsonable(value)
    except TypeError:
        return value


def json_value(value: Any, where: str) -> Any:
    """`value` as plain JSON types for a JSON column. Raises TalentcastError naming `where` if it has none."""
    try:
        return to_jsonable(value)
    except TypeError as exc:
        raise TalentcastError(f"{where}: cannot be stored as JSON ({exc})", f"{where}：无法保存为 JSON（{exc}）") from None


def column_values(series: pd.Series) -> list[Any]:
    """A column as a list of plain Python values, None for missing."""
    mask = series.isna().to_numpy()
    values = series.tolist()  # native int/float/bool for numpy and nullable dtypes
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
        values = [plain(v) for v in values]
    if mask.any():
        values = [None if m else v for v, m in zip(values, mask)]
    return values


def frame_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Columns as lists of plain Python values (None for missing): what every DB-API driver accepts."""
    return {name: column_values(frame[name]) for name in frame.columns}


def bulk_insert(conn: sa.Connection, table: sa.Table, columns: dict[str, list[Any]]) -> None:
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
        for start in range(0, count, BATCH_ROWS):
            stop = min(start + BATCH_ROWS, count)
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
        for start in range(0, count, BATCH_ROWS):
            conn.exec_driver_sql(statement, rows[start:start + BATCH_ROWS])
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
