"""Bring a database to the newest schema with Alembic, cheaply when it is already there."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from features.errors import TalentcastError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_KEY = 0x7A1E_C457  # arbitrary constant identifying talentcast's migration lock


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config pointing at talentcast's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        # ConfigParser treats % as interpolation; escape it so passwords with % survive.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration revision (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every revision id in talentcast's migrations."""
    return frozenset(r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at (None for an empty database). A plain SELECT; takes no lock."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine) -> bool:
    """Upgrade the database behind `engine` to head. Returns True if a migration ran.

    Opening an up-to-date database costs one SELECT on alembic_version. Pass a connection source whose
    transactions take the write lock (Storage passes its writer engine: BEGIN IMMEDIATE on SQLite; an advisory
    lock is taken on PostgreSQL), so that two processes opening a fresh database migrate one after the other;
    the second finds the schema at head and does nothing.
    """
    current = current_revision(engine)
    if current == head_revision():
        return False
    if current is not None and current not in known_revisions():
        raise TalentcastError(
            f"the database {engine.url.render_as_string(hide_password=True)} has schema revision '{current}', "
            f"which this talentcast does not know (newest known: '{head_revision()}'); use the talentcast "
            "version that created it, or a new database",
            f"数据库 {engine.url.render_as_string(hide_password=True)} 的结构版本“{current}”未知"
            f"（本版本最新为“{head_revision()}”）；请使用创建它的 talentcast 版本，或换一个新数据库")
    config = alembic_config()
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Serialise concurrent first opens; SQLite gets the same from BEGIN IMMEDIATE.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError:
        if current_revision(engine) != head_revision():
            raise
    return True
