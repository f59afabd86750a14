"""``/admin/login`` and ``/admin/logout``: an admin API key opens a session in the database
(or, when configured, the user the intranet's reverse proxy names in a trusted header).

The sign-in form has a CSRF token of its own (a cookie and a hidden field that must match),
so another site cannot sign a browser in under its key. Every attempt counts toward the
client's rate limit before the key is checked. A new session id is minted at each sign-in
and any session the browser carried is closed: a planted id never becomes a signed-in one."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hlsguide.admin.auth import (
    COOKIE_PATH,
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    FormDep,
    proxy_user,
    store_of,
    tokens_match,
)
from hlsguide.admin.security import HEADERS
from hlsguide.admin.templating import page
from hlsguide.bootstrap.deps import get_services
from hlsguide.storage.admin_sessions import close_session, open_session
from hlsguide.storage.api_keys import authenticate

router = APIRouter(prefix="/admin")
LOGIN_TOKEN_SECONDS = 3600


def _set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=COOKIE_PATH,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
    )


def _form(request: Request, status_code: int = 200, error: str | None = None, **context):
    """The sign-in form with a fresh CSRF token (cookie and hidden field)."""
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", status_code, login_token=token, error=error, **context)
    _set_cookie(request, response, LOGIN_COOKIE, token, LOGIN_TOKEN_SECONDS)
    return response


async def _start_session(
    request: Request, key_id: str | None, user: str | None = None
) -> RedirectResponse:
    """A new session (closing any the browser carried), its cookie, and on to the console."""
    store = store_of(request)
    if planted := request.cookies.get(SESSION_COOKIE):
        await run_in_threadpool(close_session, store, planted)
    lifetime = timedelta(hours=get_services(request).settings.admin_session_hours)
    token = await run_in_threadpool(open_session, store, key_id, lifetime, user)
    response = RedirectResponse("/admin/", status_code=303, headers=HEADERS)
    _set_cookie(request, response, SESSION_COOKIE, token, int(lifetime.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/login", include_in_schema=False)
async def login_form(request: Request, signed_out: bool = False):
    """The sign-in form; a user the intranet's proxy names is signed in at once."""
    if not signed_out and (user := proxy_user(request)):
        return await _start_session(request, None, user)
    return _form(request, signed_out=signed_out)


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    api_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
):
    """Check the key; an admin key starts a session and goes to the console."""
    if not tokens_match(csrf_token, request.cookies.get(LOGIN_COOKIE)):
        return _form(request, 403, "The form had expired. Please sign in again.")
    settings = get_services(request).settings
    client = request.client.host if request.client else "unknown"
    retry = get_services(request).rate_limiter.hit(
        f"ip:{client}", settings.rate_limit_per_minute, 60.0
    )
    if retry is not None:
        response = _form(request, 429, "Too many attempts. Wait a minute and try again.")
        response.headers["Retry-After"] = str(max(1, round(retry)))
        return response
    store = store_of(request)
    key = api_key.strip()
    record = await run_in_threadpool(authenticate, store, key) if key else None
    if record is None:
        return _form(request, 401, "That key is not valid. Check it and try again.")
    if "admin" not in record.scopes:
        return _form(
            request, 403, "That key cannot open the console: it does not have the admin scope."
        )
    return await _start_session(request, record.id)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, _: FormDep):
    """End the session and return to the sign-in form."""
    await run_in_threadpool(close_session, store_of(request), request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/admin/login?signed_out=true", status_code=303, headers=HEADERS)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
