"""Request and response bodies of the OpenAI-compatible routes.

Only what the guide uses is typed; other OpenAI parameters (temperature, top_p, stop, seed,
user, metadata...) are accepted and ignored: the answer core decides how an answer is made.
Parameters the guide cannot honour are declared so that ``check_supported`` can refuse them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hlsguide.channels.openai_compat.errors import OpenAIError
from hlsguide.privacy.owners import SECRET_MIN_CHARS
from hlsguide.types import Citation, Lens, SearchFilters

MODEL_ID = "hlsguide"
MAX_MESSAGES = 500
MAX_MESSAGE_CHARS = 50_000
MAX_CONTENT_PARTS = 50


class ContentPart(BaseModel):
    """One part of a message's content; only ``text`` parts are read."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = Field(None, max_length=MAX_MESSAGE_CHARS)


class ChatMessage(BaseModel):
    """A message of the conversation; the guide answers the last one, from the user."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: (
        Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]
        | Annotated[list[ContentPart], Field(max_length=MAX_CONTENT_PARTS)]
        | None
    ) = None
    name: str | None = None


class StreamOptions(BaseModel):
    include_usage: bool = False


class GuideOptions(BaseModel):
    """The ``hlsguide`` extension of a request (``extra_body={"hlsguide": {...}}`` in the
    official client). A ``conversation_id`` from an earlier answer continues that stored
    conversation; without one, the user messages of the request are the conversation."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(None, min_length=1, max_length=64)
    conversation_secret: str | None = Field(
        None,
        min_length=SECRET_MIN_CHARS,
        max_length=128,
        description="Without an API key: the conversation_secret returned with the answer.",
    )
    filters: SearchFilters | None = None
    mode: Literal["extractive", "llm"] | None = Field(
        None, description="Generator; default HLSGUIDE_ANSWER_MODE."
    )
    top_k: int | None = Field(None, ge=1, le=20, description="Passages to draw on.")


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1, max_length=200, examples=[MODEL_ID])
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1, description="Capped by HLSGUIDE_OPENAI_MAX_TOKENS.")
    max_completion_tokens: int | None = Field(None, ge=1, description="As max_tokens.")
    # Refused by check_supported: declared so a request that uses them is told so.
    n: int | None = Field(None, ge=1, description="Only 1 is supported.")
    logprobs: bool | None = Field(None, description="Not supported.")
    top_logprobs: int | None = Field(None, description="Not supported.")
    logit_bias: dict[str, float] | None = Field(None, description="Not supported.")
    tools: list[dict[str, Any]] | None = Field(None, description="Not supported.")
    functions: list[dict[str, Any]] | None = Field(None, description="Not supported.")
    response_format: dict[str, Any] | None = Field(None, description="Only type 'text'.")
    user: str | None = Field(None, max_length=256, description="The end user's id.")
    hlsguide: GuideOptions | None = None

    def token_limit(self, cap: int) -> int:
        """The client's limit, never above the server's cap."""
        asked = [t for t in (self.max_tokens, self.max_completion_tokens) if t is not None]
        return min([cap, *asked])


def check_supported(request: ChatCompletionRequest) -> None:
    """Refuse, in OpenAI's shape, what the guide cannot honour rather than silently ignore it:
    several choices, token probabilities and biases (model extraction, OWASP LLM10), tools,
    and structured output formats."""
    refused: list[tuple[str, bool, str]] = [
        ("n", (request.n or 1) > 1, "n>1 is not supported: the guide gives one answer"),
        ("logprobs", bool(request.logprobs), "logprobs are not supported"),
        ("top_logprobs", request.top_logprobs is not None, "top_logprobs are not supported"),
        ("logit_bias", bool(request.logit_bias), "logit_bias is not supported"),
        ("tools", bool(request.tools), "tools are not supported: the guide only answers"),
        ("functions", bool(request.functions), "functions are not supported"),
    ]
    kind = (request.response_format or {}).get("type", "text")
    refused.append(
        ("response_format", kind != "text", f"response_format '{kind}' is not supported")
    )
    for param, is_refused, message in refused:
        if is_refused:
            raise OpenAIError(400, message, param=param, code="unsupported_parameter")


def check_model(model: str) -> None:
    """404 in OpenAI's shape for any model but ours."""
    if model != MODEL_ID:
        raise OpenAIError(
            404,
            f"The model '{model}' does not exist; this server serves '{MODEL_ID}'",
            param="model",
            code="model_not_found",
        )


class ModelCard(BaseModel):
    id: str = MODEL_ID
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "hlsguide"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class GuideExtension(BaseModel):
    """The ``hlsguide`` field of a completion (and of the final stream chunk): the answer as
    data."""

    model_config = ConfigDict(extra="ignore")

    answer_id: str
    conversation_id: str | None = Field(
        None, description="Send back as hlsguide.conversation_id to continue the conversation."
    )
    conversation_secret: str | None = Field(
        None,
        description="Without an API key: send back as hlsguide.conversation_secret with the "
        "conversation_id.",
    )
    question: str
    standalone_query: str
    mode: str
    refused: bool
    fallback: str | None
    confidence: float
    citations: list[Citation]
    lens: Lens
    timings: dict[str, float]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    logprobs: None = None
    finish_reason: Literal["stop", "length"]


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """A non-streamed completion: the answer Markdown (ending in its Sources section) as the
    message content, and the answer as data under ``hlsguide``."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    system_fingerprint: None = None
    choices: list[Choice]
    usage: Usage
    hlsguide: GuideExtension
