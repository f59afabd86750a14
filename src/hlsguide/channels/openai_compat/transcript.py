"""An OpenAI message list read as the guide reads a conversation: the last user message is the
question, the earlier user messages are its context. System and assistant messages are not
read: the guide's own prompts govern an answer, and a client's system prompt must not."""

from __future__ import annotations

from dataclasses import dataclass

from hlsguide.channels.openai_compat.errors import OpenAIError
from hlsguide.channels.openai_compat.schema import ChatMessage

# As many earlier questions as a stored conversation brings (Store.history's default).
HISTORY_TURNS = 6


@dataclass
class Transcript:
    question: str
    earlier: list[str]


def _text(message: ChatMessage, index: int, strict: bool) -> str:
    """The text of a message; a non-text part is refused in the question (``strict``) and
    skipped in earlier turns, which were already answered or refused."""
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    texts = []
    for j, part in enumerate(message.content):
        if part.type == "text":
            texts.append(part.text or "")
        elif strict:
            raise OpenAIError(
                400,
                f"messages[{index}].content[{j}]: only text content is supported, "
                f"not '{part.type}'",
                param=f"messages[{index}].content[{j}].type",
                code="unsupported_value",
            )
    return "\n".join(texts)


def read_messages(messages: list[ChatMessage]) -> Transcript:
    """The question and the earlier questions (at most ``HISTORY_TURNS``, oldest first)."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise OpenAIError(
            400,
            "messages holds no message with role 'user'; send the question as "
            '{"role": "user", "content": "..."}',
            param="messages",
            code="invalid_value",
        )
    last = len(messages) - 1
    if users[-1] != last:
        raise OpenAIError(
            400,
            f"the last message (messages[{last}]) has role '{messages[last].role}'; "
            "it must be the user's question",
            param=f"messages[{last}].role",
            code="invalid_value",
        )
    earlier = [_text(messages[i], i, strict=False) for i in users[:-1]]
    return Transcript(_text(messages[last], last, strict=True), earlier[-HISTORY_TURNS:])
