"""``hlsguide db``: schema migrations of the state database."""

from __future__ import annotations

import typer

from hlsguide.cli.common import console
from hlsguide.config import Settings

app = typer.Typer(help="The state database (SQLite by default, PostgreSQL by URL).")


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration (safe while workers run: upgrades are serialised)."""
    from hlsguide.storage.migrate import current, upgrade
    from hlsguide.storage.store import make_engine

    engine = make_engine(Settings().resolved_database_url)
    before = current(engine)
    upgrade(engine)
    console.print(f"schema {before or 'empty'} -> {current(engine)}")


@app.command("current")
def current_command() -> None:
    """Print the schema's revision and the code's."""
    from hlsguide.storage.migrate import current, head_revision
    from hlsguide.storage.store import make_engine

    engine = make_engine(Settings().resolved_database_url)
    console.print(f"database {current(engine) or 'empty'}; code {head_revision()}")
