"""Database storage for talentcast: dataset versions, pipeline runs with their results, and API keys.

`Storage` is the only class in talentcast that touches the database (SQLite by default, PostgreSQL via
``postgresql+psycopg://``). It combines one store per concern on one `Database`:

    database.py   Database (engine, read / write transactions, migrations on open), NotFoundError
    datasets.py   DatasetStore, DatasetVersion, coerce_to_contract, frame_checksum, referenced_tables
    results.py    ResultStore, RunMeta
    keys.py       KeyStore, ApiKey, ROLES (keys stored as SHA-256 digests)
    store.py      Storage (all three stores)

The schema is managed by Alembic migrations in ``talentcast/storage/migrations``; opening a Storage upgrades
the database to the newest revision. See docs/storage.md.
"""

from talentcast.storage.database import Database, NotFoundError, StoreUnavailable
from talentcast.storage.datasets import (
    DatasetStore,
    DatasetVersion,
    coerce_to_contract,
    frame_checksum,
    referenced_tables,
)
from talentcast.storage.keys import ROLES, ApiKey, KeyStore
from talentcast.storage.results import RUN_STATUS_COMPLETE, ResultStore, RunMeta
from talentcast.storage.schema import RESULT_COLUMNS, RESULT_KINDS
from talentcast.storage.store import Storage

__all__ = [
    "ApiKey",
    "Database",
    "DatasetStore",
    "DatasetVersion",
    "KeyStore",
    "NotFoundError",
    "RESULT_COLUMNS",
    "RESULT_KINDS",
    "ROLES",
    "RUN_STATUS_COMPLETE",
    "ResultStore",
    "RunMeta",
    "StoreUnavailable",
    "Storage",
    "coerce_to_contract",
    "frame_checksum",
    "referenced_tables",
]
