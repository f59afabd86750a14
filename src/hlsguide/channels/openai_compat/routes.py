"""``GET /v1/models`` and ``POST /v1/chat/completions``: the guide as an OpenAI model, for Open
WebUI, LibreChat or any OpenAI client."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from hlsguide.admission.callers import ASK, AskCaller
from hlsguide.answer.questions import QuestionError
from hlsguide.answer.service import Prepared, Turn
from hlsguide.bootstrap.deps import AnswersDep, GateDep, SettingsDep
from hlsguide.channels.openai_compat.completions import Completion, TokenBudget, prompt_tokens
from hlsguide.channels.openai_compat.errors import OpenAIError, OpenAIRoute
from hlsguide.channels.openai_compat.schema import (
    ChatCompletion,
    ChatCompletionRequest,
    GuideOptions,
    ModelCard,
    ModelList,
    check_model,
    check_supported,
)
from hlsguide.channels.openai_compat.transcript import read_messages

CHANNEL = "openai"
# Fixed rather than per request, so that /v1/models answers the same on every call.
STARTED = int(time.time())


router = APIRouter(
    prefix="/v1",
    tags=["openai-compatible"],
    route_class=OpenAIRoute,
    # The ask scope, as /v1/ask: API keys (Bearer), HLSGUIDE_ASK_OPEN, per-caller rate limits.
    dependencies=[ASK],
)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Unsupported parameter or invalid request (OpenAI error shape)"},
    401: {"description": "Missing or invalid API key"},
    429: {"description": "Rate limit reached (Retry-After)"},
    404: {"description": "Unknown model or conversation"},
    503: {"description": "The index is still being built, or every answer slot is busy"},
}


@router.get("/models")
async def list_models() -> ModelList:
    """The one model this server offers: ``hlsguide``."""
    return ModelList(data=[ModelCard(created=STARTED)])


@router.get("/models/{model}", responses={404: ERRORS[404]})
async def retrieve_model(model: str) -> ModelCard:
    check_model(model)
    return ModelCard(created=STARTED)


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}}, **ERRORS},
)
async def chat_completions(
    body: ChatCompletionRequest,
    caller: AskCaller,
    answers: AnswersDep,
    settings: SettingsDep,
    gate: GateDep,
) -> ChatCompletion | StreamingResponse:
    """Answer the last user message, as ``/v1/ask`` would, in OpenAI's completion format
    (``stream: true`` for server-sent ``chat.completion.chunk`` events ending in
    ``data: [DONE]``). The content is the cited Markdown answer with its Sources section; the
    ``hlsguide`` field (on the final chunk when streaming) carries citations, lens and ids.
    Earlier user messages give a follow-up its context, unless ``hlsguide.conversation_id``
    names a stored conversation of the caller's."""
    check_model(body.model)
    check_supported(body)
    transcript = read_messages(body.messages)
    options = body.hlsguide or GuideOptions()

    def prepare() -> tuple[list[Turn], Prepared]:
        # Replaying earlier messages costs CPU per character: it runs in a worker thread under
        # the answer gate, like the answer itself, never on the event loop.
        earlier = [] if options.conversation_id else answers.replay(transcript.earlier)
        return earlier, answers.prepare(
            transcript.question,
            conversation_id=options.conversation_id,
            filters=options.filters,
            mode=options.mode,
            top_k=options.top_k,
            earlier=earlier,
            owner=caller.owner(options.conversation_secret),
        )

    try:
        async with gate.admit():
            earlier, prepared = await run_in_threadpool(prepare)
    except QuestionError as exc:
        last = len(body.messages) - 1
        raise OpenAIError(
            400,
            f"messages[{last}].content: {exc}",
            param=f"messages[{last}].content",
            code="invalid_value",
        ) from exc
    completion = Completion(
        prompt_tokens=prompt_tokens(transcript.question, *(t.question for t in earlier)),
        budget=TokenBudget(body.token_limit(settings.openai_max_tokens)),
    )
    # OpenAI's ``user`` names the end user; it is logged only if HLSGUIDE_LOG_CHANNEL_FIELDS
    # lists user_id.
    channel_data = {"user_id": body.user}
    if not body.stream:
        async with gate.admit():
            answer = await run_in_threadpool(answers.complete, prepared, CHANNEL, channel_data)
        return completion.body(answer)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    events = answers.stream(prepared, CHANNEL, channel_data)
    return StreamingResponse(
        completion.stream(events, include_usage, gate),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
