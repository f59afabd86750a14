"""``POST /v1/ask`` and ``POST /v1/ask/stream``: grounded, cited answers."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from hlsguide.admission.callers import AskCaller, Caller
from hlsguide.bootstrap.deps import AnswersDep, GateDep
from hlsguide.privacy.owners import SECRET_MIN_CHARS
from hlsguide.types import Answer, SearchFilters

router = APIRouter(prefix="/v1", tags=["answers"])


class AskRequest(BaseModel):
    """A question for the guide. Follow-ups pass the ``conversation_id`` of an earlier answer."""

    question: str = Field(
        max_length=20_000,
        description="The question; limited in tokens (HLSGUIDE_MAX_QUESTION_TOKENS).",
        examples=["How can we commission homelessness support without outcome targets?"],
    )
    conversation_id: str | None = Field(None, max_length=64)
    conversation_secret: str | None = Field(
        None,
        min_length=SECRET_MIN_CHARS,
        max_length=128,
        description="Without an API key: the conversation_secret of the answer that started "
        "the conversation (it is returned with each answer); callers with a key never need it.",
    )
    filters: SearchFilters | None = None
    mode: Literal["extractive", "llm"] | None = Field(
        None, description="Generator; default HLSGUIDE_ANSWER_MODE."
    )
    top_k: int | None = Field(None, ge=1, le=20, description="Passages to draw on.")

    def options(self, caller: Caller) -> dict:
        return {
            "owner": caller.owner(self.conversation_secret),
            "conversation_id": self.conversation_id,
            "filters": self.filters,
            "mode": self.mode,
            "top_k": self.top_k,
        }


@router.post(
    "/ask",
    responses={
        404: {"description": "Unknown conversation id, or a conversation of another caller's"},
        422: {"description": "Empty, overlong, binary or control-character question"},
        503: {"description": "The index is still being built, or the service is at capacity"},
    },
)
async def ask(body: AskRequest, caller: AskCaller, answers: AnswersDep, gate: GateDep) -> Answer:
    """Answer with Markdown whose every ``[n]`` resolves to a citation (passage, quote,
    publications), the complexity lens, the mode used and timings. Out-of-scope questions
    and weak retrieval get a refusal that says what the guide covers."""
    async with gate.admit():
        return await run_in_threadpool(answers.ask, body.question, **body.options(caller))


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 404: {}, 422: {}, 503: {}},
)
async def ask_stream(
    body: AskRequest, caller: AskCaller, answers: AnswersDep, gate: GateDep
) -> StreamingResponse:
    """Server-sent events: ``lens``, then ``delta`` (verified answer text), ``citation`` per
    source, and ``done`` with the answer's metadata. Errors in the request are raised before
    the stream opens, as plain 4xx responses."""
    async with gate.admit():
        prepared = await run_in_threadpool(answers.prepare, body.question, **body.options(caller))

    async def events():
        async with gate.admit():
            async for event, data in iterate_in_threadpool(answers.stream(prepared)):
                yield _sse(event, data)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
