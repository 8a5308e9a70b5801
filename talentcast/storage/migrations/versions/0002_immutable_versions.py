"""dataset versions are immutable: triggers refuse UPDATE and DELETE of versions and their rows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:45:00
"""

from __future__ import annotations

from alembic import op

from features.contract import TABLE_NAMES

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The tables whose rows make up a dataset version. Listed here (not imported from schema.py) so that this
# migration keeps meaning what it meant when written; a later table gets its trigger in its own migration.
_PROTECTED = ["dataset_versions"] + [f"data_{name}" for name in TABLE_NAMES]
_MESSAGE = "dataset versions are immutable: ingest a new version instead of changing one"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"""
            CREATE FUNCTION talentcast_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{_MESSAGE} (table %)', TG_TABLE_NAME;
            END $$""")
        for table in _PROTECTED:
            op.execute(f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION talentcast_refuse_change()")
    elif dialect == "sqlite":
        for table in _PROTECTED:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_immutable_{event.lower()} BEFORE {event} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")
    # Other databases: immutability rests on Storage having no update/delete methods.


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in _PROTECTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        op.execute("DROP FUNCTION IF EXISTS talentcast_refuse_change()")
    elif dialect == "sqlite":
        for table in _PROTECTED:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable_{event}")
