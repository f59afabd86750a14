"""``hlsguide review DRAFT --out OUT``: a specification draft read through the complexity lens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hlsguide.cli.common import console, fail, progress_bar, services


def review(
    draft: Annotated[Path, typer.Argument(help="The draft: DOCX, PDF, Markdown, HTML or text.")],
    out: Annotated[
        list[Path],
        typer.Option(
            "--out",
            help="Output file; the extension picks the format (.docx: the draft with Word "
            "comments; .md, .html, .json). Repeat for several.",
        ),
    ],
) -> None:
    """Flag paragraphs that set provider targets, pay by results, claim attribution, fix
    output counts or re-tender often, with cited suggestions of what to write instead.
    The draft is read in memory: nothing is stored or indexed."""
    from hlsguide.documents.service import UploadError
    from hlsguide.retrieval.service import IndexNotReadyError
    from hlsguide.review.formats import FORMATS, write

    for target in out:
        if target.suffix.lower() not in FORMATS:
            fail(f"cannot write '{target}': the extension must be one of {', '.join(FORMATS)}")
    try:
        data = draft.read_bytes()
    except OSError as exc:
        fail(f"cannot read '{draft}': {exc.strerror}")
    reviewer = services().review
    try:
        document = reviewer.read(data, draft.name)
        with progress_bar("reviewing", "paragraphs") as bar:
            task = bar.add_task("review", total=None)
            result = reviewer.review(
                document, lambda done, total: bar.update(task, completed=done, total=total)
            )
    except UploadError as exc:
        fail(f"{draft}: {exc}")
    except IndexNotReadyError as exc:
        fail(str(exc))
    for target in out:
        write(result, target, document, data)
    flagged = len(result.findings)
    console.print(
        f"{flagged} of {result.reviewed} paragraphs flagged, {len(result.strengths)} strengths; "
        f"wrote {', '.join(str(t) for t in out)}",
        highlight=False,
    )
