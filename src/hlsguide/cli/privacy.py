"""``hlsguide privacy``: subject access (export) and erasure (delete) for one person."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hlsguide.cli.common import console, fail, services

if TYPE_CHECKING:
    from hlsguide.storage.subjects import Subject

app = typer.Typer(help="Subject access and erasure requests.", no_args_is_help=True)

USER_HELP = (
    "Who: an API key's id or name, slack:<Slack user id> (e.g. slack:U0123ABC), or "
    "teams:<Entra ID object id of the Teams user>."
)
User = Annotated[str, typer.Option("--user", help=USER_HELP)]


def _subject(user: str) -> Subject:
    from hlsguide.storage.subjects import SubjectError, find_subject

    try:
        return find_subject(services().store, user)
    except SubjectError as exc:
        fail(str(exc))


@app.command()
def export(
    user: User,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON here, not to stdout.")
    ] = None,
) -> None:
    """Everything stored about a person as JSON: conversations with their questions and
    answers, feedback, FAQ jobs, API keys, console sessions and rate-limit counts, with
    identifiers as they are stored."""
    import json

    from hlsguide.storage.subjects import export_subject

    text = json.dumps(
        export_subject(services().store, _subject(user)), indent=2, ensure_ascii=False
    )
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    console.print(f"wrote {output}")


@app.command()
def delete(
    user: User,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete everything stored about a person, in one transaction, and print what was
    deleted per table. API keys stay: revoke them with 'hlsguide keys revoke'."""
    from hlsguide.storage.subjects import delete_subject

    subject = _subject(user)
    if not yes:
        typer.confirm(f"Delete everything stored about {user}?", abort=True)
    deleted = delete_subject(services().store, subject)
    for table, count in deleted.items():
        console.print(f"{table}: {count} deleted")
    console.print(f"{sum(deleted.values())} rows deleted about {user}")
