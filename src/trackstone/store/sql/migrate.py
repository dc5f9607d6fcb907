"""Apply and inspect schema migrations programmatically (``trackstone db upgrade|current``).

Importing alembic costs over a second, so an up-to-date database is recognised with one plain
query against ``HEAD_REVISION``; alembic is loaded only when there is something to migrate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from trackstone.errors import InvalidState
from trackstone.store.sql.engine import Database
from trackstone.store.sql.schema import VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "HEAD_REVISION",
    "check_current",
    "current_revision",
    "head_revision",
    "migrate_database",
    "upgrade",
]

_SCRIPT_LOCATION = "trackstone.store.sql:migrations"
# Any fixed number: PostgreSQL advisory lock taken while migrating, so processes take turns.
_PG_MIGRATION_LOCK = 7_412_906_113


# The newest migration in migrations/versions; a unit test keeps it equal to alembic's head.
HEAD_REVISION = "0006"


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest revision this version of Trackstone knows."""
    return HEAD_REVISION


def alembic_head_revision() -> str | None:
    """Ask alembic for the newest revision in the migration scripts (slow; for tests)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def _revision_of(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    row = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    return None if row is None else str(row[0])


def migrate_database(db: Database) -> None:
    """Bring the schema up to the head revision; concurrent callers take turns."""
    head = head_revision()
    with db.read() as connection:
        if _revision_of(connection) == head:
            return
    with db.write() as connection:
        if db.dialect == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
        current = _revision_of(connection)
        if current != head:
            from alembic import command
            from alembic.util.exc import CommandError

            try:
                command.upgrade(_config(connection), "head")
            except CommandError as error:
                raise InvalidState(
                    f"database schema is at revision {current}, which this Trackstone does not "
                    f"know (a newer version made it?): {error}"
                ) from error


def check_current(db: Database) -> None:
    """Raise ``InvalidState`` unless the schema is at the head revision."""
    head = head_revision()
    with db.read() as connection:
        current = _revision_of(connection)
    if current != head:
        raise InvalidState(
            f"database schema is at revision {current or 'none'} but this Trackstone needs "
            f"{head}: run `trackstone db upgrade`"
        )


def upgrade(uri: str) -> str:
    """Apply pending migrations to the database at ``uri`` and return the revision reached."""
    db = Database(uri)
    try:
        migrate_database(db)
        with db.read() as connection:
            revision = _revision_of(connection)
    finally:
        db.dispose()
    return revision or ""


def current_revision(uri: str) -> str | None:
    """Return the schema revision of the database at ``uri`` (None if never migrated)."""
    db = Database(uri)
    try:
        with db.read() as connection:
            return _revision_of(connection)
    finally:
        db.dispose()
