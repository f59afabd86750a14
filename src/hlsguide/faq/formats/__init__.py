"""Output formats of a batch: Markdown, standalone HTML, JSON and CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from hlsguide.faq.formats.html import render_html
from hlsguide.faq.formats.markdown import render_markdown
from hlsguide.faq.formats.structured import render_csv, render_json
from hlsguide.faq.results import BatchReport

Format = Literal["md", "html", "json", "csv"]
RENDERERS: dict[str, Callable[[BatchReport], str]] = {
    "md": render_markdown,
    "html": render_html,
    "json": render_json,
    "csv": render_csv,
}
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}
_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"} | {
    ".json": "json",
    ".csv": "csv",
}


def render(report: BatchReport, fmt: str) -> str:
    """The report in ``fmt`` (md, html, json or csv)."""
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format '{fmt}'; use one of {', '.join(RENDERERS)}")
    return RENDERERS[fmt](report)


def format_for(path: Path) -> str | None:
    """The format a file name implies (``faq.html`` -> html), or None."""
    return _SUFFIXES.get(path.suffix.lower())
