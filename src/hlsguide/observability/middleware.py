"""Per request: the request id (X-Request-ID in and out), a JSON log line, and metrics."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hlsguide.asgi import HTTPMiddleware
from hlsguide.observability.context import accept_or_new, current_channel, request_id
from hlsguide.observability.metrics import Metrics

log = logging.getLogger("hlsguide.request")
CHANNEL_HEADER = "x-hlsguide-channel"
CHANNELS = {"api", "widget", "slack", "teams", "openai", "faq", "mcp"}
_BY_PATH = (
    ("/slack/", "slack"),
    ("/api/messages", "teams"),
    ("/v1/chat/", "openai"),
    ("/v1/models", "openai"),
    ("/v1/faq/", "faq"),
    ("/widget", "widget"),
)


def channel_of(path: str, declared: str | None) -> str:
    """The channel a request came through: declared by a known client, else by its route."""
    if declared in CHANNELS:
        return declared
    return next((name for prefix, name in _BY_PATH if path.startswith(prefix)), "api")


class RequestObservabilityMiddleware(HTTPMiddleware):
    """Outermost middleware, so its timing and status cover everything inside."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        rid = accept_or_new(headers.get("x-request-id"))
        token = request_id.set(rid)
        channel = channel_of(scope["path"], headers.get(CHANNEL_HEADER))
        channel_token = current_channel.set(channel)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(route, scope["method"], str(status), channel).inc()
            self.metrics.latency.labels(route, channel).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "channel": channel,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            request_id.reset(token)
            current_channel.reset(channel_token)
