"""``hlsguide ask``: one question, answered in the terminal."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.markdown import Markdown

from hlsguide.answer.questions import QuestionError
from hlsguide.answer.service import AnswerService
from hlsguide.cli.common import console, fail, service
from hlsguide.retrieval.service import IndexNotReadyError
from hlsguide.storage import ConversationNotFoundError


def answer_service() -> AnswerService:
    retrieval = service()
    return AnswerService(retrieval.settings, retrieval)


def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    mode: Annotated[str | None, typer.Option("--mode", help="extractive (default) or llm.")] = None,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Continue this conversation id.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
) -> None:
    """Ask the guide; the answer cites its sources."""
    if mode not in (None, "extractive", "llm"):
        fail(f"--mode must be 'extractive' or 'llm', not '{mode}'")
    chosen: Literal["extractive", "llm"] | None = mode  # type: ignore[assignment]
    try:
        answer = answer_service().ask(
            question, mode=chosen, conversation_id=conversation, channel="cli"
        )
    except (QuestionError, ConversationNotFoundError, IndexNotReadyError) as exc:
        fail(str(exc))
    if as_json:
        # Raw: rich would wrap long lines at the terminal width and break the JSON.
        typer.echo(answer.model_dump_json(indent=2))
        return
    console.print(Markdown(answer.answer))
    fallback = f" (fallback: {answer.fallback})" if answer.fallback else ""
    console.print(
        f"[dim]mode {answer.mode}{fallback} · conversation {answer.conversation_id}"
        f" · {answer.timings.get('total_ms', 0):.0f} ms[/]"
    )
