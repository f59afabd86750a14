"""ASGI middleware: security headers on every response, a body size limit on every request,
and a timeout on every request that is not a stream."""

from __future__ import annotations

import asyncio
import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hlsguide.asgi import HTTPMiddleware

# Headers every response carries unless its route set its own (the widget sets its own CSP).
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
    b"cross-origin-opener-policy": b"same-origin",
    b"content-security-policy": b"default-src 'none'; frame-ancestors 'none'",
    b"x-frame-options": b"DENY",
}
# Interactive API docs: their scripts and styles come from this server (fastapi-offline), plus
# the inline script that starts them.
_DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware(HTTPMiddleware):
    """Adds SECURITY_HEADERS (and no-store caching for API routes) where absent."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = dict(SECURITY_HEADERS)
                if path in ("/docs", "/redoc"):
                    extra[b"content-security-policy"] = _DOCS_CSP
                if b"content-security-policy" in present:
                    extra.pop(b"x-frame-options")  # the route's frame-ancestors decides
                if path.startswith("/v1/"):
                    extra[b"cache-control"] = b"no-store"
                headers.extend((k, v) for k, v in extra.items() if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TimeoutMiddleware(HTTPMiddleware):
    """504 for a request whose response has not started in time. Once a response starts (a
    stream, say) it runs to its end: streams are bounded by the answer gate instead."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        super().__init__(app)
        self.seconds = seconds

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = asyncio.Event()

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, tracking_send))
        waiter = asyncio.ensure_future(started.wait())
        await asyncio.wait({task, waiter}, timeout=self.seconds, return_when="FIRST_COMPLETED")
        waiter.cancel()
        if task.done() or started.is_set():
            await task
            return
        task.cancel()
        body = json.dumps({"detail": f"the request took longer than {self.seconds:g} s"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 504,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` once a body passes its limit. An HTTPException, so the framework
    answers it as 413 wherever the body is being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the {limit}-byte limit")


class BodyLimitMiddleware(HTTPMiddleware):
    """413 for a body over its limit: at once when Content-Length says so, else as soon as the
    streamed bytes pass it, so an oversized body is never buffered whole.

    ``limits`` maps path prefixes to their own limit (uploads); other paths get ``default``.
    """

    def __init__(self, app: ASGIApp, default: int, limits: dict[str, int]) -> None:
        super().__init__(app)
        self.default = default
        self.limits = limits

    def limit_for(self, path: str) -> int:
        """The byte limit that applies to a request for ``path``."""
        for prefix, limit in self.limits.items():
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return self.default

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if started:
                raise
            await _send_413(send, limit)


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": BodyTooLargeError(limit).detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
