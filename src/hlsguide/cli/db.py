"""``hlsguide db``: schema migrations of the state database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from hlsguide.cli.common import console

app = typer.Typer(help="The state database (SQLite by default, PostgreSQL by URL).")


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration (safe while workers run: upgrades are serialised)."""
    from hlsguide.config import Settings
    from hlsguide.storage.migrate import current, upgrade
    from hlsguide.storage.store import make_engine

    engine = make_engine(Settings().resolved_database_url)
    before = current(engine)
    upgrade(engine)
    console.print(f"schema {before or 'empty'} -> {current(engine)}")


@app.command("current")
def current_command() -> None:
    """Print the schema's revision and the code's."""
    from hlsguide.config import Settings
    from hlsguide.storage.migrate import current, head_revision
    from hlsguide.storage.store import make_engine

    engine = make_engine(Settings().resolved_database_url)
    console.print(f"database {current(engine) or 'empty'}; code {head_revision()}")


@app.command("purge")
def purge_command(
    days: int | None = typer.Option(
        None, min=1, help="Delete what is older than this (default HLSGUIDE_RETENTION_DAYS)."
    ),
) -> None:
    """Delete questions, answers, conversations, feedback and FAQ jobs past retention."""
    from hlsguide.config import Settings
    from hlsguide.storage.retention import purge
    from hlsguide.storage.store import Store

    settings = Settings()
    days = days or settings.retention_days
    if not days:
        console.print("HLSGUIDE_RETENTION_DAYS is 0: nothing is purged")
        return
    store = Store(settings.resolved_database_url, settings.migrate_on_start)
    deleted = purge(store, datetime.now(UTC) - timedelta(days=days))
    for table, count in deleted.items():
        console.print(f"{table}: {count} deleted")
