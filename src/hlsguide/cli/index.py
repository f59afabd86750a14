"""``hlsguide index``: build or update the index, with a progress bar and a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from hlsguide.cli.common import console, errors, fail, services

if TYPE_CHECKING:
    from hlsguide.retrieval.index import IndexReport


def index(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders; default: the corpus paths.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    rescan: Annotated[
        bool,
        typer.Option(
            "--rescan",
            help="Re-apply injection detection to documents already indexed; re-index any "
            "it flags.",
        ),
    ] = False,
) -> None:
    """Index documents incrementally: only new or changed documents are embedded."""
    from hlsguide.retrieval.index import IndexLockedError

    retrieval = services().retrieval
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
        disable=as_json,
    ) as bar:
        task = bar.add_task("embedding chunks", total=None)

        def progress(_stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = retrieval.build(paths or None, progress, rescan=rescan)
        except IndexLockedError as exc:
            fail(str(exc))
    for doc_id, warnings in report.warnings.items():
        for warning in warnings:
            errors.print(f"[yellow]flagged[/] {doc_id}: {warning}", highlight=False, soft_wrap=True)
    for doc_id in report.rescanned:
        errors.print(f"[yellow]rescanned[/] {doc_id}: re-indexed without the flagged text")
    for failure in report.failed:
        errors.print(f"[yellow]skipped[/] {failure}", highlight=False, soft_wrap=True)
    if as_json:
        console.print_json(json.dumps(_report_dict(report)))
    else:
        _print_summary(report)
    if report.failed:
        raise typer.Exit(1)


def _report_dict(report: IndexReport) -> dict:
    return {
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "unchanged": report.unchanged,
        "failed": [{"path": f.path, "problem": f.problem} for f in report.failed],
        "warnings": report.warnings,
        "rescanned": report.rescanned,
        "chunks": report.chunks,
        "embedded_chunks": report.embedded_chunks,
        "units": report.units,
        "embedded_units": report.embedded_units,
        "generation": report.generation,
        "seconds": round(report.seconds, 3),
    }


def _print_summary(report: IndexReport) -> None:
    table = Table(title="Index run", show_header=False)
    for label, value in (
        ("added", len(report.added)),
        ("updated", len(report.updated)),
        ("removed", len(report.removed)),
        ("unchanged", len(report.unchanged)),
        ("rescanned", len(report.rescanned)),
        ("failed", len(report.failed)),
        ("chunks in index", report.chunks),
        ("chunks embedded", report.embedded_chunks),
        ("units in index", report.units),
        ("units embedded", report.embedded_units),
        ("generation", report.generation or "(none)"),
        ("seconds", f"{report.seconds:.1f}"),
    ):
        table.add_row(label, str(value))
    console.print(table)
