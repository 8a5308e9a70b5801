"""Database storage for talentcast: dataset versions, pipeline runs with their results, and API keys.

`Storage` is the only class in talentcast that touches the database (SQLite by default, PostgreSQL via
``postgresql+psycopg://``). The schema is managed by Alembic migrations in ``talentcast/storage/migrations``;
opening a Storage upgrades the database to the newest revision. See docs/storage.md.
"""

from talentcast.storage.repository import (
    ApiKey,
    DatasetVersion,
    NotFoundError,
    RunMeta,
    Storage,
    coerce_to_contract,
    frame_checksum,
    referenced_tables,
)
from talentcast.storage.schema import RESULT_COLUMNS, RESULT_KINDS

__all__ = [
    "ApiKey",
    "DatasetVersion",
    "NotFoundError",
    "RESULT_COLUMNS",
    "RESULT_KINDS",
    "RunMeta",
    "Storage",
    "coerce_to_contract",
    "frame_checksum",
    "referenced_tables",
]
