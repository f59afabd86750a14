"""Shared CLI plumbing: the services, error exits. Heavy libraries load inside commands, so
``hlsguide --help`` starts at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

    from hlsguide.bootstrap import Services

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as an error and exit with ``code``."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def services() -> Services:
    """The services on the configured settings (environment and .env)."""
    from hlsguide.bootstrap import build_services

    return build_services()


def progress_bar(label: str, note: str) -> Progress:
    """A progress bar on stderr: ``label``, the bar, done of total, ``note`` (rich markup,
    may name task fields), time taken and time left."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(note),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=errors,
    )
