"""The storage layer: one SQLAlchemy engine from ``database_url`` (SQLite file by default).

``Store`` is the database handle; what is kept lives in one module per concern, as functions of
a store: conversations, answer_log (answers and feedback), channel_events, faq_jobs, api_keys,
rate_limits, retention."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hlsguide.storage.migrate import current, head_revision, upgrade


class SchemaOutdatedError(RuntimeError):
    """The database schema is behind the code and start-up migration is off."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            # WAL lets readers and one writer work at once; foreign keys are off by default.
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """The database: its engine, a schema at the code's revision, and sessions."""

    def __init__(
        self,
        url: str,
        migrate: bool = True,
        redact: Callable[[str], str] | None = None,
        pseudonym: Callable[[str], str] | None = None,
    ) -> None:
        """Open the database; bring its schema up to date, or (``migrate=False``) insist that
        someone has (``hlsguide db upgrade``). ``redact`` is applied to every question and
        comment before it is written; ``pseudonym`` (an HMAC) to every chat thread key, event
        id and rate-limit bucket, which name people (user, DM channel, IP address)."""
        self.engine = make_engine(url)
        self.redact = redact or (lambda text: text)
        self.pseudonym = pseudonym or (lambda value: value)
        if migrate:
            upgrade(self.engine)
        elif (found := current(self.engine)) != head_revision():
            raise SchemaOutdatedError(
                f"the database schema is at {found or 'nothing'}, not {head_revision()}; "
                "run 'hlsguide db upgrade'"
            )
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._session()
