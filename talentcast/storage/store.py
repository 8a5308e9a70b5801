"""`Storage`: the one object through which talentcast reads and writes its database.

It is the three stores of this package on one `Database`: dataset versions (`datasets.DatasetStore`), runs and
their results (`results.ResultStore`) and API keys (`keys.KeyStore`). Code that needs only one part can use that
store on its own, e.g. ``KeyStore(Database(url))``.
"""

from __future__ import annotations

from talentcast.storage.database import Database
from talentcast.storage.datasets import DatasetStore
from talentcast.storage.keys import KeyStore
from talentcast.storage.results import ResultStore


class Storage(DatasetStore, ResultStore, KeyStore):
    """Database access for dataset versions, pipeline runs and their results, and API keys.

    Args:
        url: SQLAlchemy URL; None -> `Settings().database_url` (a SQLite file under TALENTCAST_HOME).
            PostgreSQL: ``postgresql+psycopg://user:pass@host/db`` (install the ``postgres`` extra).
        upgrade: run Alembic ``upgrade head`` on open (a single SELECT when the schema is current).
    """

    def __init__(self, url: str | None = None, *, upgrade: bool = True):
        # One Database shared by every part (each part's __init__ only stores it).
        self.database = Database(url, upgrade=upgrade)

    @property
    def url(self) -> str:
        return self.database.url

    @property
    def engine(self):
        """The SQLAlchemy engine (reads; writes go through `database.write()`)."""
        return self.database.engine

    def close(self) -> None:
        """Release the connection pool."""
        self.database.close()

    def __enter__(self) -> "Storage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Storage({self.engine.url.render_as_string(hide_password=True)!r})"
