"""Shared CLI plumbing: settings, the retrieval service, error exits."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from hlsguide.config import Settings
from hlsguide.retrieval.service import RetrievalService

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as an error and exit with ``code``."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def service() -> RetrievalService:
    """A retrieval service on the configured settings (environment and .env)."""
    return RetrievalService(Settings())
