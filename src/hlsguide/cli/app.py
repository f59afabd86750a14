"""The ``hlsguide`` command line."""

from __future__ import annotations

from typing import Annotated

import typer

from hlsguide.cli import db, evaluate, keys, privacy
from hlsguide.cli import faq as faq_commands
from hlsguide.cli.ask import ask
from hlsguide.cli.index import index
from hlsguide.cli.insights import insights
from hlsguide.cli.mcp_server import mcp
from hlsguide.cli.review import review
from hlsguide.cli.search import search, sources
from hlsguide.cli.serve import serve
from hlsguide.cli.teams import teams_manifest

app = typer.Typer(
    help="hlsguide: cited, complexity-aware guidance for commissioners.", no_args_is_help=True
)
app.command()(index)
app.command()(ask)
app.command()(search)
app.command()(sources)
app.command()(serve)
app.command("teams-manifest")(teams_manifest)
app.command()(mcp)
app.add_typer(evaluate.app, name="eval")
app.add_typer(keys.app, name="keys")
app.add_typer(db.app, name="db")
app.add_typer(privacy.app, name="privacy")
app.add_typer(faq_commands.app, name="faq")
app.command()(insights)
app.command()(review)


@app.command("check-corpus")
def check_corpus_command(
    corpus: Annotated[str, typer.Argument()] = "corpus",
    research: Annotated[
        str | None,
        typer.Option(help="Also flag runs of 12+ words shared with the notes in this folder."),
    ] = None,
) -> None:
    """Check the corpus against its contract (v2); print unit totals; exit 1 on a problem."""
    from hlsguide.corpus.checks import main as check_corpus

    raise typer.Exit(check_corpus([corpus] + (["--research", research] if research else [])))


def main() -> None:
    """Console-script entry point."""
    app()
