"""Failures in OpenAI's error shape, so OpenAI clients raise their typed errors with our message.

``{"error": {"message", "type", "param", "code"}}``: the official clients read ``message``
into ``BadRequestError``, ``NotFoundError``, ``AuthenticationError``... by status code."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from hlsguide.admission.limits import OverloadedError
from hlsguide.answer.questions import QuestionError
from hlsguide.retrieval.service import IndexNotReadyError
from hlsguide.storage import ConversationNotFoundError

MAX_PROBLEMS_LISTED = 3


# eq=False: an exception compares (and hashes) by identity, as the traceback machinery expects.
@dataclass(eq=False)
class OpenAIError(Exception):
    """A request this API refuses, with the status and fields OpenAI would send."""

    status: int
    message: str
    _: KW_ONLY
    param: str | None = None
    code: str | None = None
    type: str = "invalid_request_error"
    headers: dict[str, str] | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict:
        """The JSON error object (also sent as an ``error`` event inside a stream)."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def param_path(loc: Sequence[str | int]) -> str:
    """``("body", "messages", 0, "content")`` -> ``messages[0].content``."""
    path = ""
    for part in loc:
        if part == "body" and not path:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _validation_error(exc: RequestValidationError) -> OpenAIError:
    errors = exc.errors()
    first = errors[0]
    if first.get("type") == "json_invalid":
        reason = first.get("ctx", {}).get("error", "")
        message = f"the request body is not valid JSON: {reason}".rstrip(": ")
        return OpenAIError(400, message, code="invalid_json")
    problems = []
    for error in errors[:MAX_PROBLEMS_LISTED]:
        where = param_path(error.get("loc", ()))
        problems.append(f"{where}: {error['msg']}" if where else f"the body: {error['msg']}")
    message = "; ".join(problems)
    if len(errors) > MAX_PROBLEMS_LISTED:
        message += f" (and {len(errors) - MAX_PROBLEMS_LISTED} more)"
    param = param_path(first.get("loc", ())) or None
    return OpenAIError(400, message, param=param, code="invalid_value")


def as_openai_error(exc: Exception) -> OpenAIError | None:
    """The OpenAI-shaped error for a failure the route knows, else None (a real 500)."""
    if isinstance(exc, OpenAIError):
        return exc
    if isinstance(exc, RequestValidationError):
        return _validation_error(exc)
    if isinstance(exc, QuestionError):
        return OpenAIError(400, str(exc), param="messages", code="invalid_value")
    if isinstance(exc, ConversationNotFoundError):
        return OpenAIError(
            404, str(exc), param="hlsguide.conversation_id", code="conversation_not_found"
        )
    if isinstance(exc, OverloadedError):
        return OpenAIError(
            503, str(exc), type="server_error", code="overloaded", headers={"Retry-After": "5"}
        )
    if isinstance(exc, HTTPException):
        # From the shared ask-scope dependency: keys (401, 403) and rate limits (429).
        code = {401: "invalid_api_key", 403: "insufficient_scope", 429: "rate_limit_exceeded"}
        message = str(exc.detail)
        if exc.status_code == 401:
            # OpenAI clients always send a key, so an open server still needs one for them.
            message += "; create a key with: hlsguide keys create NAME --scope ask"
        return OpenAIError(
            exc.status_code,
            message,
            type="requests" if exc.status_code == 429 else "invalid_request_error",
            code=code.get(exc.status_code),
            headers=dict(exc.headers or {}),
        )
    if isinstance(exc, IndexNotReadyError):
        return OpenAIError(
            503,
            str(exc),
            type="server_error",
            code="index_not_ready",
            headers={"Retry-After": "10"},
        )
    return None


class OpenAIRoute(APIRoute):
    """A route whose failures (including request validation) come back in OpenAI's shape
    rather than FastAPI's ``{"detail": ...}``, without touching the app's other routes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                error = as_openai_error(exc)
                if error is None:
                    raise
                return error.response()

        return handle
