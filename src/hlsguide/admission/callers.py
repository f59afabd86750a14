"""API-key authentication with scopes, and per-key / per-IP rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from hlsguide.admission.limits import RateLimiter
from hlsguide.config import Settings
from hlsguide.privacy.owners import Owner, key_owner, secret_owner
from hlsguide.storage import Store
from hlsguide.storage.api_keys import authenticate


class Admitting(Protocol):
    """What admitting a caller needs of the app's services (``app.state.services``)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def rate_limiter(self) -> RateLimiter: ...


@dataclass(frozen=True)
class Caller:
    """Who is asking: a key id (None when the route is open) and the client address."""

    key_id: str | None
    scopes: tuple[str, ...]
    client: str

    def owner(self, secret: str | None = None) -> Owner:
        """Whose conversations and votes this caller's are: its API key's; without a key,
        those of the conversation ``secret`` it presents (a new one when it presents none)."""
        return key_owner(self.key_id) if self.key_id else secret_owner(secret)


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def require_scope(scope: str):
    """A dependency admitting callers whose key has ``scope``; 'ask' may be open by settings,
    'admin' never is. Each caller is also rate-limited (per key, else per client IP)."""

    async def dependency(request: Request) -> Caller:
        services: Admitting = request.app.state.services
        settings = services.settings
        client = request.client.host if request.client else "unknown"
        key = _presented_key(request)
        caller = Caller(None, (), client)
        if key is not None:
            record = await run_in_threadpool(authenticate, services.store, key)
            if record is not None:
                caller = Caller(record.id, tuple(record.scopes), client)
            elif not (scope == "ask" and settings.ask_open):
                raise HTTPException(
                    401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"}
                )
            # On open ask routes an unknown key is ignored: OpenAI clients always send one.
        if scope not in caller.scopes and not (scope == "ask" and settings.ask_open):
            if key is None:
                raise HTTPException(
                    401,
                    f"this route needs an API key with the '{scope}' scope",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            raise HTTPException(403, f"the API key lacks the '{scope}' scope")
        limiter = services.rate_limiter
        bucket = f"key:{caller.key_id}" if caller.key_id else f"ip:{client}"
        retry_after = limiter.hit(bucket, settings.rate_limit_per_minute, 60.0)
        if retry_after is not None:
            raise HTTPException(
                429,
                f"rate limit of {settings.rate_limit_per_minute} requests per minute reached",
                headers={"Retry-After": str(max(1, round(retry_after)))},
            )
        return caller

    return Depends(dependency)


ASK = require_scope("ask")
ADMIN = require_scope("admin")
# The admitted caller, for routes that need to know who it is; the same dependency as the
# router's, so it runs once per request.
AskCaller = Annotated[Caller, ASK]
AdminCaller = Annotated[Caller, ADMIN]
