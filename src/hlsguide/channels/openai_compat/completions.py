"""An answer rendered as OpenAI completions: one body, or ``chat.completion.chunk`` events."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from starlette.concurrency import iterate_in_threadpool

from hlsguide.admission.limits import AnswerGate
from hlsguide.channels.openai_compat.errors import OpenAIError, as_openai_error
from hlsguide.channels.openai_compat.schema import (
    MODEL_ID,
    AssistantMessage,
    ChatCompletion,
    Choice,
    GuideExtension,
    Usage,
)
from hlsguide.retrieval.tokens import count_tokens, encoding
from hlsguide.types import Answer

log = logging.getLogger(__name__)


class TokenBudget:
    """The tokens a completion may still use; text past them is cut and the completion ends
    with ``finish_reason: "length"``, as OpenAI ends one that reaches ``max_tokens``."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.used = 0
        self.exhausted = False

    def take(self, text: str) -> str:
        """As much of ``text`` as the budget allows."""
        tokens = encoding().encode(text, disallowed_special=())
        if len(tokens) <= self.left:
            self.left -= len(tokens)
            self.used += len(tokens)
            return text
        # A cut can fall inside a multi-byte character; drop its undecodable remains.
        kept = encoding().decode(tokens[: self.left]).rstrip("\ufffd")
        self.used += self.left
        self.left = 0
        self.exhausted = True
        return kept

    @property
    def finish_reason(self) -> str:
        return "length" if self.exhausted else "stop"


@dataclass
class Completion:
    """What every chunk and the body share: id, creation time, prompt size, budget."""

    prompt_tokens: int
    budget: TokenBudget
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))

    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.budget.used,
            total_tokens=self.prompt_tokens + self.budget.used,
        )

    def body(self, answer: Answer) -> ChatCompletion:
        """The non-streamed completion of ``answer``."""
        content = self.budget.take(answer.answer)
        return ChatCompletion(
            id=self.id,
            created=self.created,
            choices=[
                Choice(
                    message=AssistantMessage(content=content),
                    finish_reason=self.budget.finish_reason,
                )
            ],
            usage=self.usage(),
            hlsguide=GuideExtension.model_validate(answer.model_dump()),
        )

    def chunk(self, delta: dict, finish_reason: str | None = None, **extra) -> str:
        """One ``chat.completion.chunk`` as an SSE ``data:`` line."""
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return sse(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": MODEL_ID,
                "system_fingerprint": None,
                "choices": [choice],
                **extra,
            }
        )

    async def stream(
        self, events: Iterator[tuple[str, dict]], include_usage: bool, gate: AnswerGate
    ) -> AsyncIterator[str]:
        """Chunks from the answer core's events: the role at once, the verified answer text
        paragraph by paragraph (within the budget), a final chunk with ``finish_reason`` and
        the ``hlsguide`` extension, the usage chunk if asked, then ``data: [DONE]``."""
        yield self.chunk({"role": "assistant", "content": ""})
        started = False
        try:
            async with gate.admit():
                async for event, data in iterate_in_threadpool(events):
                    if event == "delta" and not self.budget.exhausted:
                        # The core ends each paragraph with a blank line; joining with it instead
                        # makes the streamed text equal the non-streamed content.
                        paragraph = data["text"].removesuffix("\n\n")
                        text = self.budget.take(("\n\n" if started else "") + paragraph)
                        started = True
                        if text:
                            yield self.chunk({"content": text})
                    elif event == "done":
                        extension = GuideExtension.model_validate(data).model_dump(mode="json")
                        yield self.chunk({}, self.budget.finish_reason, hlsguide=extension)
        except Exception as exc:
            # Headers are sent: the failure can only travel as an event, which the official
            # clients raise as an APIError.
            error = as_openai_error(exc)
            if error is None:
                log.exception("streamed completion %s failed", self.id)  # details stay here
                error = OpenAIError(
                    500, "the answer failed; see the server log", type="server_error"
                )
            yield sse(error.body())
            yield "data: [DONE]\n\n"
            return
        if include_usage:
            yield sse(
                {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": MODEL_ID,
                    "system_fingerprint": None,
                    "choices": [],
                    "usage": self.usage().model_dump(),
                }
            )
        yield "data: [DONE]\n\n"


def sse(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def prompt_tokens(*texts: str) -> int:
    """Tokens of what the answer was asked from (the question and its context)."""
    return sum(count_tokens(t) for t in texts)
