"""``POST /api/messages``: where Microsoft Teams (through Azure Bot Service) posts activities.

The SDK's ``JwtAuthorizationMiddleware`` checks the Bot Framework token before the route runs,
on this path only (the rest of the API has its own access rules). The route then checks the
activity itself (size, JSON, the Activity schema, the tenant) and hands it to the SDK's
``CloudAdapter``, which runs the bot; work a turn deferred runs after the response is sent.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.fastapi import CloudAdapter, JwtAuthorizationMiddleware
from pydantic import ValidationError
from starlette.background import BackgroundTask
from starlette.types import ASGIApp, Receive, Scope, Send

from hlsguide.admission.chat import ChatAdmission
from hlsguide.admission.limits import AnswerGate, RateLimiter
from hlsguide.answer.service import AnswerService
from hlsguide.channels.teams.auth import (
    LOOPBACK_HOSTS,
    TokenProviderFactory,
    auth_configuration,
    connection_manager,
    host_validator,
    token_problem,
    use_signing_keys,
)
from hlsguide.channels.teams.bot import Job, TeamsBot, deferring
from hlsguide.config import Settings
from hlsguide.storage import Store

log = logging.getLogger(__name__)

PATH = "/api/messages"
# Teams messages are far smaller (about 100 KB at most); anything larger is not from Teams.
MAX_ACTIVITY_BYTES = 512_000


class TeamsTokenGate:
    """The SDK's ``JwtAuthorizationMiddleware`` for ``/api/messages`` only. The route also
    refuses a request this gate did not pass, whatever path led to it.

    The SDK lets some malformed tokens escape as exceptions (a header without ``kid`` raises
    KeyError): any failure before the request got through is a 401, not a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if scope["type"] != "http" or path.rstrip("/") != PATH:
            await self.app(scope, receive, send)
            return
        passed = False

        async def authenticated(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal passed
            passed = True
            await self.app(scope, receive, send)

        try:
            await JwtAuthorizationMiddleware(authenticated)(scope, receive, send)
        except Exception as exc:
            if passed:
                raise
            log.warning("Teams token refused: %s", type(exc).__name__)
            await _error(401, "Invalid token or authentication failed.")(scope, receive, send)


def mount_teams(
    app: FastAPI,
    settings: Settings,
    answers: AnswerService,
    store: Store,
    gate: AnswerGate | None = None,
    limiter: RateLimiter | None = None,
    token_provider_factory: TokenProviderFactory | None = None,
) -> TeamsBot:
    """Serve the Teams bot on ``app``. Raises TeamsConfigError (before anything is served) when
    the settings would run it without credentials outside explicit development mode.
    ``gate`` and ``limiter`` are the API's admission control and rate limiter.
    ``token_provider_factory`` replaces MSAL for the bot's outbound tokens."""
    config = auth_configuration(settings)
    use_signing_keys(settings.teams_openid_metadata_url, settings.teams_tenant_id)
    connections = connection_manager(config, token_provider_factory)
    adapter = CloudAdapter(
        connection_manager=connections, host_validator=host_validator(settings, config)
    )
    admission = ChatAdmission(gate, limiter, settings.rate_limit_per_minute)
    bot = TeamsBot(answers, store, adapter, connections, admission)
    app.state.agent_configuration = config  # where the SDK's middleware looks for it
    app.state.teams = bot
    app.add_middleware(TeamsTokenGate)
    app.include_router(_router(bot, settings))
    return bot


def _router(bot: TeamsBot, settings: Settings) -> APIRouter:
    router = APIRouter(tags=["teams"])

    @router.post(
        PATH,
        summary="Bot Framework activities from Microsoft Teams",
        responses={
            200: {"description": "Replies (expectReplies) or an invoke response"},
            202: {"description": "Accepted; the answer follows through the connector"},
            400: {"description": "Not a Bot Framework activity"},
            401: {"description": "Missing or invalid Bot Framework token"},
            403: {"description": "Tenant not allowed"},
            413: {"description": "Activity too large"},
        },
    )
    async def messages(request: Request) -> Response:
        identity = getattr(request.state, "claims_identity", None)
        if identity is None:
            return _error(401, "the request did not pass Bot Framework authentication")
        anonymous = request.app.state.agent_configuration.ANONYMOUS_ALLOWED
        client = request.client.host if request.client else ""
        if anonymous and client not in LOOPBACK_HOSTS:
            return _error(403, "anonymous development mode takes activities from loopback only")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_ACTIVITY_BYTES:
            return _error(413, f"an activity may be at most {MAX_ACTIVITY_BYTES} bytes")
        body = await request.body()
        if len(body) > MAX_ACTIVITY_BYTES:
            return _error(413, f"an activity may be at most {MAX_ACTIVITY_BYTES} bytes")
        problem = _activity_problem(body, settings, None if anonymous else identity.claims)
        if problem:
            return _error(*problem)
        with deferring() as jobs:
            response = await bot.adapter.process(request, bot.app)
        if response is None:  # allowed by the SDK's signature; it answers every POST it takes
            response = Response(status_code=200)
        if jobs:
            response.background = BackgroundTask(_run, jobs)
        return response

    return router


def _activity_problem(
    body: bytes, settings: Settings, claims: dict | None
) -> tuple[int, str] | None:
    """Why ``body`` is not an activity this bot takes (with ``claims``, the token's), or None."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return 400, f"the body is not JSON: {exc}"
    if not isinstance(payload, dict):
        return 400, "the body must be a JSON object (a Bot Framework activity)"
    try:
        activity = Activity.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "activity"
        return 400, f"not a Bot Framework activity: {where}: {first['msg']}"
    if not activity.type or not activity.conversation:
        return 400, "an activity needs a type and a conversation"
    if claims is not None and (
        problem := token_problem(claims, activity.service_url, settings.teams_connector_app_ids)
    ):
        return 401, problem
    allowed = settings.teams_allowed_tenants
    if allowed and _tenant(activity, payload) not in allowed:
        return 403, "this tenant may not use the guide"
    return None


def _tenant(activity: Activity, payload: dict) -> str | None:
    channel_data = payload.get("channelData")
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
        return tenant["id"]
    return activity.conversation.tenant_id


async def _run(jobs: list[Job]) -> None:
    for job in jobs:
        await job()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
