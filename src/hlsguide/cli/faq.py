"""``hlsguide faq``: answer a file of questions as an FAQ; ``hlsguide faq approve``: curate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from hlsguide.cli.common import console, errors, fail, progress_bar, services
from hlsguide.faq import DEFAULT_TITLE

if TYPE_CHECKING:
    from hlsguide.answer.service import AnswerService
    from hlsguide.faq.checkpoint import Checkpoint
    from hlsguide.faq.questions import FaqQuestion
    from hlsguide.faq.results import ItemResult

RUN = "run"


class _RunByDefault(TyperGroup):
    """``hlsguide faq QUESTIONS ...`` means ``hlsguide faq run QUESTIONS ...``."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [RUN, *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    help="Batch FAQs: 'hlsguide faq QUESTIONS --out FILE' answers a question file; "
    "'hlsguide faq approve BATCH.json' turns reviewed answers into curated ones.",
    no_args_is_help=True,
)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _run_with_progress(
    service: AnswerService,
    questions: list[FaqQuestion],
    mode: str,
    concurrency: int,
    checkpoint: Checkpoint,
) -> tuple[list[ItemResult], int]:
    """(results in input order, items reused from the checkpoint)."""
    import asyncio

    from hlsguide.faq.runner import pending, run_batch

    todo, reused = pending(questions, mode, checkpoint)
    with progress_bar("{task.description}", "failed {task.fields[failed]}") as progress:
        task = progress.add_task("answering", total=len(questions), completed=len(reused), failed=0)
        failures = 0

        def advance(result: ItemResult) -> None:
            nonlocal failures
            failures += result.status == "failed"
            progress.update(task, advance=1, failed=failures)

        results = asyncio.run(
            run_batch(
                service,
                questions,
                mode=mode,
                concurrency=concurrency,
                sink=checkpoint,
                on_result=advance,
            )
        )
    return results, len(questions) - len(todo)


def _outputs(out: list[Path], fmt: str | None) -> list[tuple[Path, str]]:
    """(file, format) for each --out, or exit 2 naming the problem."""
    from hlsguide.faq.formats import RENDERERS, format_for

    if fmt is not None and len(out) > 1:
        fail("--format applies to a single --out; with several, each suffix names its format")
    outputs = []
    for path in out:
        chosen = fmt or format_for(path)
        if chosen is None:
            fail(f"cannot tell the format from '{path.name}'; pass --format md, html, json or csv")
        if chosen not in RENDERERS:
            fail(f"--format must be one of {', '.join(RENDERERS)}, not '{chosen}'")
        if path.is_dir():
            fail(f"--out {path} is a folder; give a file name")
        outputs.append((path, chosen))
    if len({path.resolve() for path, _ in outputs}) < len(outputs):
        fail("the same --out is given twice")
    return outputs


@app.command(RUN)
def run(
    questions: Annotated[
        Path, typer.Argument(help="A .txt (one a line), .csv (question[,group,id]) or .yaml file.")
    ],
    out: Annotated[
        list[Path],
        typer.Option("--out", help="FAQ file to write; repeat for several formats of one run."),
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="md, html, json or csv; default from the --out suffix."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=16, help="Questions answered at once.")
    ] = 2,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue from the checkpoint; finished items are kept."),
    ] = False,
    mode: Annotated[str | None, typer.Option("--mode", help="extractive (default) or llm.")] = None,
    title: Annotated[str, typer.Option("--title", help="Title of the FAQ.")] = DEFAULT_TITLE,
) -> None:
    """Answer every question (as /v1/ask would) and write the FAQ; progress is checkpointed
    beside the first --out (FILE.checkpoint.jsonl) so '--resume' redoes nothing finished.
    Exit 1 if any question failed (the others are still written)."""
    if mode not in (None, "extractive", "llm"):
        fail(f"--mode must be 'extractive' or 'llm', not '{mode}'")
    from hlsguide.faq.checkpoint import Checkpoint, checkpoint_path
    from hlsguide.faq.formats import render
    from hlsguide.faq.questions import read_questions
    from hlsguide.faq.results import BatchReport
    from hlsguide.retrieval.index import current_generation

    outputs = _outputs(out, fmt)
    try:
        items = read_questions(questions)
    except ValueError as exc:
        fail(str(exc))

    bundle = services()
    if not bundle.retrieval.is_ready():
        fail("the index has not been built yet; run 'hlsguide index'")
    used_mode = mode or bundle.settings.answer_mode
    state = checkpoint_path(out[0])
    if resume and not state.exists():
        errors.print(f"no checkpoint at {state}; starting from the beginning")
    with Checkpoint(state, resume=resume) as checkpoint:
        results, reused = _run_with_progress(
            bundle.answers, items, used_mode, concurrency, checkpoint
        )
    report = BatchReport(
        title=title,
        mode=used_mode,
        index_version=current_generation(bundle.settings.index_dir),
        items=results,
    )
    for path, chosen in outputs:
        _write_atomically(path, render(report, chosen))
    failed = report.failed
    written = ", ".join(str(path) for path, _ in outputs)
    console.print(
        f"{len(report.answered)} answered ({reused} from the checkpoint), {len(failed)} failed; "
        f"wrote {written}; checkpoint {state}"
    )
    for item in failed:
        errors.print(f"[red]failed[/] {item.id}: {item.error}", highlight=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def approve(
    batch_output: Annotated[
        Path, typer.Argument(help="The JSON output of 'hlsguide faq' (or its checkpoint).")
    ],
    ids: Annotated[
        list[str] | None,
        typer.Option("--ids", help="Item ids to approve (repeat or comma-separate); default all."),
    ] = None,
    approved_by: Annotated[
        str | None, typer.Option("--by", help="Who reviewed them (recorded in each file).")
    ] = None,
) -> None:
    """Approve reviewed answers: each becomes a YAML file in HLSGUIDE_CURATED_DIR (commit it),
    served by /v1/ask for matching questions while its sources hold."""
    from rich.table import Table

    from hlsguide.answer.curated import CuratedAnswers, CuratedStore
    from hlsguide.faq.approval import approve as approve_items
    from hlsguide.faq.approval import load_batch

    wanted = [i.strip() for raw in ids or [] for i in raw.split(",") if i.strip()] or None
    try:
        items = load_batch(batch_output)
        bundle = services()
        if not bundle.retrieval.is_ready():
            fail("the index has not been built yet; run 'hlsguide index'")
        curated = CuratedAnswers(bundle.settings, bundle.retrieval)
        store = CuratedStore(bundle.settings.curated_dir)
        result = approve_items(items, wanted, curated, store, approved_by)
    except ValueError as exc:
        fail(str(exc))
    table = Table("id", "result")
    for item_id, path in result.written.items():
        table.add_row(item_id, f"approved: {path}")
    for item_id, reason in result.skipped.items():
        table.add_row(item_id, f"[yellow]skipped[/]: {reason}")
    console.print(table)
    if not result.written or (wanted and result.skipped):
        raise typer.Exit(1)
