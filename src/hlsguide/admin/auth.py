"""Console sign-in: who a request's session belongs to, and the CSRF check of every form.

Without a live session a page or action is refused before anything else runs: a browser is
sent to the sign-in form, any other client gets 401. A form posted without the session's CSRF
token (or with another) is 403, so a page elsewhere cannot act in a curator's name."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from hlsguide.bootstrap.deps import get_services
from hlsguide.storage import Store
from hlsguide.storage.admin_sessions import SignedIn, find_session

SESSION_COOKIE = "hlsguide_admin"
LOGIN_COOKIE = "hlsguide_login"  # the sign-in form's own CSRF token, before any session
COOKIE_PATH = "/admin"
CSRF_FIELD = "csrf_token"


class NotSignedIn(Exception):
    """No live session: the browser goes to the sign-in form, other clients get 401."""


class CsrfRefused(Exception):
    """A form without its session's CSRF token (403)."""


def store_of(request: Request) -> Store:
    return get_services(request).store


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def tokens_match(presented: object, expected: str | None) -> bool:
    """Constant-time comparison; anything that is not a non-empty string fails."""
    return (
        isinstance(presented, str)
        and bool(presented)
        and bool(expected)
        and secrets.compare_digest(presented.encode(), str(expected).encode())
    )


def proxy_user(request: Request) -> str | None:
    """The user the intranet's reverse proxy names in HLSGUIDE_ADMIN_IDENTITY_HEADER, when that
    is set and the request came from one of HLSGUIDE_ADMIN_IDENTITY_PROXIES; else None."""
    settings = get_services(request).settings
    if not settings.admin_identity_header or request.client is None:
        return None
    if request.client.host not in settings.admin_identity_proxies:
        return None  # anyone else could send the header
    user = request.headers.get(settings.admin_identity_header, "").strip()
    return user[:255] or None


async def signed_in(request: Request) -> SignedIn:
    """The request's live session, or NotSignedIn. A session the proxy's header opened holds
    only while the proxy names the same user."""
    token = request.cookies.get(SESSION_COOKIE)
    found = await run_in_threadpool(find_session, store_of(request), token) if token else None
    if found is None or (found.user is not None and proxy_user(request) != found.user):
        raise NotSignedIn()
    request.state.signed = found
    return found


async def form_checked(
    request: Request, signed: Annotated[SignedIn, Depends(signed_in)]
) -> SignedIn:
    """A signed-in form post carrying its session's CSRF token."""
    form = await request.form()  # parsed once; the route's Form() fields reuse it
    if not tokens_match(form.get(CSRF_FIELD), signed.csrf_token):
        raise CsrfRefused()
    return signed


SignedInDep = Annotated[SignedIn, Depends(signed_in)]
FormDep = Annotated[SignedIn, Depends(form_checked)]
