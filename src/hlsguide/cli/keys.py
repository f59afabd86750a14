"""``hlsguide keys``: create, list and revoke API keys (stored hashed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hlsguide.cli.common import console, fail, services

if TYPE_CHECKING:
    from hlsguide.storage import Store

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


def _store() -> Store:
    return services().store


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="Who or what the key is for.")],
    scope: Annotated[list[str], typer.Option("--scope", help="ask or admin (repeat for both).")],
) -> None:
    """Create a key and print it once; only its hash is kept."""
    from hlsguide.storage.api_keys import create_api_key

    try:
        key, record = create_api_key(_store(), name, scope)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"key id {record.id} ({', '.join(record.scopes)}): {key}", soft_wrap=True)
    console.print("[dim]Store it now: it cannot be shown again.[/]")


@app.command("list")
def list_keys() -> None:
    """Keys by id, name, scopes and state (never the key)."""
    from rich.table import Table

    from hlsguide.storage.api_keys import list_api_keys

    table = Table("id", "name", "scopes", "created", "revoked")
    for record in list_api_keys(_store()):
        table.add_row(
            record.id,
            record.name,
            ", ".join(record.scopes),
            f"{record.created_at:%Y-%m-%d %H:%M}",
            f"{record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "",
        )
    console.print(table)


@app.command()
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id.")]) -> None:
    """Revoke a key at once."""
    from hlsguide.storage.api_keys import revoke_api_key

    if not revoke_api_key(_store(), key_id):
        fail(f"no live key with id '{key_id}'")
    console.print(f"revoked {key_id}")
