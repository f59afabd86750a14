"""``hlsguide ask``: one question, answered in the terminal (here, or by a running server)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from hlsguide.cli.common import console, fail, services
from hlsguide.cli.remote import SERVER_HELP, post, server_and_key

if TYPE_CHECKING:
    from hlsguide.types import Answer


def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    mode: Annotated[str | None, typer.Option("--mode", help="extractive (default) or llm.")] = None,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Continue this conversation id.")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            "--conversation-secret",
            help="With --server and no API key: the conversation's secret (printed with its "
            "first answer).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    server: Annotated[str | None, typer.Option("--server", help=SERVER_HELP)] = None,
) -> None:
    """Ask the guide; the answer cites its sources."""
    if mode not in (None, "extractive", "llm"):
        fail(f"--mode must be 'extractive' or 'llm', not '{mode}'")
    chosen: Literal["extractive", "llm"] | None = mode  # type: ignore[assignment]
    url, key = server_and_key(server)
    if url:
        from hlsguide.types import Answer

        body = {
            "question": question,
            "mode": chosen,
            "conversation_id": conversation,
            "conversation_secret": secret,
        }
        answer = Answer.model_validate(post(url, "/v1/ask", body, key))
    else:
        answer = _ask_here(question, chosen, conversation)
    if as_json:
        # print_json, as search and index do: never wrapped, so the output stays valid JSON.
        console.print_json(answer.model_dump_json())
        return
    from rich.markdown import Markdown

    console.print(Markdown(answer.answer))
    fallback = f" (fallback: {answer.fallback})" if answer.fallback else ""
    held = f" (secret {answer.conversation_secret})" if answer.conversation_secret else ""
    console.print(
        f"[dim]mode {answer.mode}{fallback} · conversation {answer.conversation_id}{held}"
        f" · {answer.timings.get('total_ms', 0):.0f} ms[/]"
    )


def _ask_here(
    question: str, mode: Literal["extractive", "llm"] | None, conversation: str | None
) -> Answer:
    """The answer computed in this process (the model loads here)."""
    from hlsguide.answer.questions import QuestionError
    from hlsguide.retrieval.service import IndexNotReadyError
    from hlsguide.storage import ConversationNotFoundError

    try:
        return services().answers.ask(
            question, mode=mode, conversation_id=conversation, channel="cli"
        )
    except (QuestionError, ConversationNotFoundError, IndexNotReadyError) as exc:
        fail(str(exc))
