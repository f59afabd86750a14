"""``hlsguide insights``: what commissioners ask that the corpus answers poorly."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hlsguide.cli.common import console, errors, fail, services


def insights(
    since: Annotated[
        str | None, typer.Option("--since", help="A span (7d, 24h, 2w) or an ISO date.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="md or csv.")] = "md",
    out: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")] = None,
    below: Annotated[
        float,
        typer.Option("--below", min=0.0, max=1.0, help="Answers under this confidence are weak."),
    ] = 0.5,
    similarity: Annotated[
        float,
        typer.Option("--similarity", min=0.0, max=1.0, help="Cosine that groups questions."),
    ] = 0.75,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per section.")] = 20,
    include_faq: Annotated[
        bool, typer.Option("--include-faq", help="Count batch FAQ runs as questions asked.")
    ] = False,
) -> None:
    """Refused and low-confidence questions grouped by similarity, down-voted answers with
    comments, most-asked topics: so curators know what to write next."""
    if fmt not in ("md", "csv"):
        fail(f"--format must be 'md' or 'csv', not '{fmt}'")
    from hlsguide.insights.render import render_csv, render_markdown
    from hlsguide.insights.report import build_report, parse_since
    from hlsguide.retrieval.service import IndexNotReadyError

    try:
        start = parse_since(since) if since else None
    except ValueError as exc:
        fail(str(exc))
    bundle = services()
    settings, retrieval = bundle.settings, bundle.retrieval
    if not settings.answer_log:
        errors.print("[yellow]note:[/] HLSGUIDE_ANSWER_LOG is off; no new answers are logged")
    try:
        documents = retrieval.snapshot().documents
    except IndexNotReadyError:
        documents = None
    report = build_report(
        bundle.store,
        retrieval.embedder,
        since=start,
        below=below,
        similarity=similarity,
        documents=documents,
        limit=limit,
        exclude_channels=() if include_faq else ("faq",),
    )
    text = render_markdown(report) if fmt == "md" else render_csv(report)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
