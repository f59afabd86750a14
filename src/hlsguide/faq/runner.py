"""The batch runner: asks every question through the answer service with bounded concurrency,
records each finished item in a sink as it finishes, and skips what the sink already holds.

The answer service is synchronous and CPU-bound (embedding), so questions run on a thread pool
of ``concurrency`` workers driven from asyncio. Each question is asked exactly as ``/v1/ask``
asks it (``AnswerService.ask`` with the same mode), with ``channel="faq"``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from hlsguide.faq.questions import FaqQuestion
from hlsguide.faq.results import ItemResult
from hlsguide.privacy.owners import LOCAL, Owner
from hlsguide.types import Answer

CHANNEL = "faq"
MAX_ERROR_CHARS = 2000


class Asker(Protocol):
    """What the runner needs of the answer service."""

    def ask(self, question: str, **options) -> Answer: ...


class ResultSink(Protocol):
    """Where finished items go: the checkpoint file (CLI) or the jobs table (API)."""

    def finished(self) -> dict[str, ItemResult]:
        """Items that must not be asked again, by id."""
        ...

    def record(self, result: ItemResult) -> None:
        """Store one finished item durably before the runner reports it."""
        ...


def _ask_one(
    asker: Asker, question: FaqQuestion, mode: str, sink: ResultSink, owner: Owner
) -> ItemResult:
    answer, error = None, None
    try:
        answer = asker.ask(question.question, mode=mode, channel=CHANNEL, owner=owner)
    except Exception as exc:  # one failing question never stops the batch
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    result = ItemResult(
        id=question.id,
        question=question.question,
        group=question.group,
        mode=mode,
        status="failed" if error else "ok",
        answer=answer,
        error=error,
    )
    sink.record(result)
    return result


def pending(
    questions: Sequence[FaqQuestion], mode: str, sink: ResultSink
) -> tuple[list[FaqQuestion], dict[str, ItemResult]]:
    """(questions still to ask, finished results reused from the sink)."""
    finished = sink.finished()
    reused = {
        q.id: finished[q.id]
        for q in questions
        if q.id in finished and finished[q.id].answers(q, mode)
    }
    return [q for q in questions if q.id not in reused], reused


async def run_batch(
    asker: Asker,
    questions: Sequence[FaqQuestion],
    *,
    mode: str,
    concurrency: int,
    sink: ResultSink,
    on_result: Callable[[ItemResult], None] | None = None,
    owner: Owner = LOCAL,
) -> list[ItemResult]:
    """Answer every question not already finished in ``sink``, in conversations of
    ``owner``'s (the job's submitter); results in input order."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    todo, results = pending(questions, mode, sink)
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="hlsguide-faq")

    async def one(question: FaqQuestion) -> None:
        result = await loop.run_in_executor(pool, _ask_one, asker, question, mode, sink, owner)
        results[question.id] = result
        if on_result is not None:
            on_result(result)

    try:
        await asyncio.gather(*(one(q) for q in todo))
    finally:
        # Never block the event loop: on success nothing is left; on cancellation or a crash
        # queued questions are dropped and the one in flight finishes on its own.
        pool.shutdown(wait=False, cancel_futures=True)
    return [results[q.id] for q in questions]
