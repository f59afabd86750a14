"""Schema migrations with Alembic, safe to run from several workers starting at once."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# Any fixed number: the PostgreSQL advisory lock that serialises concurrent upgrades.
_ADVISORY_LOCK = 727_001


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("hlsguide.storage") / "migrations")
    )
    config.attributes["connection"] = connection
    return config


@contextmanager
def _exclusive(engine: Engine, connection: Connection):
    """One migrator at a time: an advisory lock on PostgreSQL, a file lock beside SQLite."""
    if engine.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_LOCK})
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(Path(database).with_suffix(".migrate.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``."""
    with engine.connect() as connection, _exclusive(engine, connection):
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def head_revision() -> str | None:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(engine: Engine) -> str | None:
    """The schema's revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
