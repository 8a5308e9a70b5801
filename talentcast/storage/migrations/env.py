"""Alembic environment for talentcast. Configured programmatically by `talentcast.storage.migrate`.

The caller passes an open connection in ``config.attributes["connection"]``; developers can also run
``alembic -c talentcast/storage/alembic.ini upgrade head`` with ``TALENTCAST_DATABASE_URL`` set.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from talentcast.settings import get_settings
from talentcast.storage.schema import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER via table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        url = get_settings().database_url
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
