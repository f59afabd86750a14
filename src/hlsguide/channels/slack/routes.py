"""``POST /slack/events``: Slack's Events API, the ``/hls`` command and interactivity
(feedback buttons), all through bolt's FastAPI adapter."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

from hlsguide.admission.chat import ChatAdmission
from hlsguide.admission.limits import AnswerGate, RateLimiter
from hlsguide.answer.service import AnswerService
from hlsguide.channels.slack.app import build_slack_app
from hlsguide.config import Settings
from hlsguide.storage import Store

# Slack's payloads are a few kilobytes; anything far larger is not from Slack.
MAX_BODY_BYTES = 1_000_000


def slack_router(
    settings: Settings,
    answers: AnswerService,
    store: Store,
    gate: AnswerGate | None = None,
    limiter: RateLimiter | None = None,
) -> APIRouter:
    """The Slack endpoint, with its bolt app built once. ``store`` keeps event claims, threads
    and feedback; ``gate`` bounds concurrent answers, ``limiter`` each user's questions per
    minute."""
    admission = ChatAdmission(gate, limiter, settings.rate_limit_per_minute)
    handler = AsyncSlackRequestHandler(build_slack_app(settings, answers, store, admission))
    router = APIRouter(tags=["slack"])

    @router.post(
        "/slack/events",
        responses={
            200: {"description": "Acknowledged (the answer follows in Slack)"},
            401: {"description": "Missing or invalid Slack signature, or a stale timestamp"},
            411: {"description": "No Content-Length"},
            413: {"description": "Body over 1 MB"},
        },
    )
    async def slack_events(request: Request) -> Response:
        """Requests signed by Slack (``X-Slack-Signature``, verified by bolt against
        ``HLSGUIDE_SLACK_SIGNING_SECRET``). Answers follow asynchronously in Slack."""
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return Response("Content-Length required", status_code=411)
        if int(length) > MAX_BODY_BYTES:
            return Response("Request body too large", status_code=413)
        return await handler.handle(request)

    return router
