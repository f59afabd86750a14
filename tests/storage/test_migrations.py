"""Alembic migrations: the migrated schema is exactly the models', on SQLite and PostgreSQL;
concurrent upgrades are safe; an outdated schema is refused when migration is off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from support.services import postgres

from hlsguide.storage.migrate import current, head_revision
from hlsguide.storage.models import Base
from hlsguide.storage.rate_limits import DatabaseRateLimiter
from hlsguide.storage.store import SchemaOutdatedError, Store, make_engine

HLSGUIDE = str(Path(sys.executable).parent / "hlsguide")


def schema_diff(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def upgrade_concurrently(url: str, workers: int) -> None:
    """Start ``workers`` processes running ``hlsguide db upgrade`` at once, as workers do."""
    env = {**os.environ, "HLSGUIDE_DATABASE_URL": url}
    processes = [
        subprocess.Popen([HLSGUIDE, "db", "upgrade"], env=env, stdout=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    assert [p.wait(timeout=300) for p in processes] == [0] * workers


def test_sqlite_schema_matches_models_and_upgrades_are_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = make_engine(url)
    assert current(engine) is None
    upgrade_concurrently(url, 3)
    assert current(engine) == head_revision()
    assert schema_diff(engine) == []
    Store(url)  # opening again migrates nothing and fails nothing


def test_outdated_schema_is_refused_without_migration(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with pytest.raises(SchemaOutdatedError, match="run 'hlsguide db upgrade'"):
        Store(url, migrate=False)
    Store(url)
    Store(url, migrate=False)


@pytest.fixture(scope="module")
def pg_url():
    with postgres() as url:
        yield url


def test_postgresql_schema_matches_models(pg_url):
    upgrade_concurrently(pg_url, 2)
    engine = make_engine(pg_url)
    assert current(engine) == head_revision()
    assert schema_diff(engine) == []


def test_rate_limits_are_shared_through_the_database(pg_url):
    one, two = DatabaseRateLimiter(Store(pg_url)), DatabaseRateLimiter(Store(pg_url))
    assert [one.hit("ip:1", 3, 60), two.hit("ip:1", 3, 60), one.hit("ip:1", 3, 60)] == [None] * 3
    retry_after = two.hit("ip:1", 3, 60)
    assert retry_after is not None
    assert 0 < retry_after <= 60
    assert one.hit("ip:2", 3, 60) is None  # buckets are separate
