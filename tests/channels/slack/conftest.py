"""Slack test rig: a local HTTP server standing in for slack.com, and requests signed the way
Slack signs them (HMAC-SHA256 over ``v0:{timestamp}:{body}`` with the signing secret).

Only slack.com is replaced: bolt verifies, routes and acks for real, slack-sdk's Web API and
webhook clients make real HTTP calls to this server, and the answer core is the real one."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from support.servers import LiveServer

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.channels.slack.blocks import FEEDBACK_UP, MAX_TEXT_CHARS, text_chars
from hlsguide.config import Settings
from hlsguide.storage.models import AnswerRecord

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
TEAM = "T0HLSGUIDE"
BOT_USER = "U0HLSBOT"
# Slack's documented limits, enforced here as slack.com does (invalid_blocks).
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION_CHARS = 3000


def _blocks_error(blocks: list | None) -> str | None:
    if not blocks:
        return None
    if len(blocks) > SLACK_MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        if block.get("type") == "section" and len(block["text"]["text"]) > SLACK_MAX_SECTION_CHARS:
            return "invalid_blocks"
    return None


class FakeSlack(LiveServer):
    """slack.com for tests: Web API methods under ``/api/`` and response URLs under
    ``/response/``. Every call is recorded with its body and Authorization header."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self._ts = itertools.count(1)
        app = FastAPI()

        @app.post("/api/{method}")
        async def web_api(method: str, request: Request) -> JSONResponse:
            body = await _body(request)
            call = {"method": method, "body": body, "auth": request.headers.get("authorization")}
            self.calls.append(call)
            if method == "auth.test":
                return JSONResponse({"ok": False, "error": "auth.test must not be called"})
            if method not in {"chat.postMessage", "chat.update"}:
                return JSONResponse({"ok": False, "error": "unknown_method"})
            error = _blocks_error(body.get("blocks"))
            if error:
                return JSONResponse({"ok": False, "error": error})
            ts = call["ts"] = body.get("ts") or f"{int(time.time())}.{next(self._ts):06d}"
            return JSONResponse(
                {
                    "ok": True,
                    "channel": body["channel"],
                    "ts": ts,
                    "message": {"text": body.get("text")},
                }
            )

        @app.post("/response/{token}")
        async def response_url(token: str, request: Request) -> PlainTextResponse:
            body = await _body(request)
            self.calls.append({"method": "response_url", "token": token, "body": body})
            if _blocks_error(body.get("blocks")):
                return PlainTextResponse("invalid_blocks", status_code=400)
            return PlainTextResponse("ok")

        super().__init__(app)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> str:
        return f"{self.url}/response/{uuid.uuid4().hex}"

    def find(self, method: str, **where) -> list[dict]:
        """Recorded calls of ``method`` whose body has every ``where`` key/value."""
        return [
            c
            for c in list(self.calls)
            if c["method"] == method and all(c["body"].get(k) == v for k, v in where.items())
        ]

    def to_url(self, response_url: str) -> list[dict]:
        token = response_url.rsplit("/", 1)[1]
        return [c for c in list(self.calls) if c.get("token") == token]

    async def wait_for(self, condition, timeout: float = 120.0):
        """Poll until ``condition()`` is truthy (answers are posted after the ack)."""
        return await eventually(condition, timeout, lambda: json.dumps(self.calls)[-3000:])

    async def wait_count(self, method: str, count: int, **where) -> list[dict]:
        """Wait until ``count`` calls of ``method`` match ``where``; return them."""

        def enough() -> list[dict] | None:
            calls = self.find(method, **where)
            return calls if len(calls) >= count else None

        return await self.wait_for(enough)


async def eventually(condition, timeout: float = 120.0, explain=lambda: ""):
    """Poll ``condition()`` until it is truthy and return its value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met in {timeout:.0f} s. {explain()}")


async def _body(request: Request) -> dict:
    if request.headers.get("content-type", "").startswith("application/json"):
        return await request.json()
    form = dict(parse_qsl((await request.body()).decode()))
    if isinstance(form.get("blocks"), str):
        form["blocks"] = json.loads(form["blocks"])
    return form


@pytest.fixture(scope="session")
def fake_slack():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def slack_settings(answers, fake_slack) -> Settings:
    """The session corpus's settings with Slack configured against the local stand-in."""
    return Settings(
        _env_file=None,
        data_dir=answers.settings.data_dir,
        corpus_paths=answers.settings.corpus_paths,
        build_index_on_start=False,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=fake_slack.api_url,
    )


@pytest.fixture
async def slack_client(slack_settings, answers):
    """An HTTP client for the whole hlsguide app, Slack enabled, on the real answer core."""
    app = create_app(slack_settings, answers.retrieval, answers)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict:
    """Slack's request signature headers for ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def unique(prefix: str) -> str:
    """An id no other test uses (channels, event ids): the session's Slack state is shared."""
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def new_ts() -> str:
    return f"{time.time():.6f}"


def event_body(event: dict, event_id: str | None = None) -> str:
    """An Events API ``event_callback`` envelope, as Slack posts it."""
    return json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0HLSGUIDE",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or unique("Ev"),
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
            ],
        }
    )


def mention(channel: str, text: str, ts: str | None = None, thread_ts: str | None = None) -> dict:
    event = {
        "type": "app_mention",
        "user": "U0ASKER",
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts or new_ts(),
        "channel": channel,
        "event_ts": new_ts(),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(channel: str, text: str, **extra) -> dict:
    return {
        "type": "message",
        "channel_type": "im",
        "user": "U0ASKER",
        "text": text,
        "ts": new_ts(),
        "channel": channel,
        "event_ts": new_ts(),
        **extra,
    }


def command_body(text: str, response_url: str, channel: str) -> str:
    """A slash command, form-encoded as Slack posts it."""
    return urlencode(
        {
            "token": "unused-verification-token",
            "team_id": TEAM,
            "team_domain": "hls",
            "channel_id": channel,
            "channel_name": "commissioning",
            "user_id": "U0ASKER",
            "user_name": "asker",
            "command": "/hls",
            "text": text,
            "api_app_id": "A0HLSGUIDE",
            "response_url": response_url,
            "trigger_id": unique("13345224609."),
        }
    )


def action_body(action_id: str, value: str, response_url: str, user: str = "U0RATER") -> str:
    """A block_actions interaction (a button click), form-encoded with its JSON payload."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "hls"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0HLSGUIDE",
        "token": "unused-verification-token",
        "container": {"type": "message", "message_ts": new_ts(), "channel_id": "C0RATED"},
        "trigger_id": unique("13345224609."),
        "channel": {"id": "C0RATED"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "block_id": "hlsguide_feedback",
                "action_id": action_id,
                "value": value,
                "action_ts": new_ts(),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


async def post_signed(
    client: httpx.AsyncClient, body: str, content_type: str, headers: dict | None = None
) -> httpx.Response:
    """POST ``body`` to /slack/events with a valid signature (plus any extra headers)."""
    return await client.post(
        "/slack/events",
        content=body.encode(),
        headers={"Content-Type": content_type, **sign(body), **(headers or {})},
    )


def answer_id_of(call: dict) -> str:
    """The answer id a rendered message carries (the feedback buttons' value)."""
    actions = [b for b in call["body"]["blocks"] if b["type"] == "actions"]
    button = next(e for e in actions[0]["elements"] if e["action_id"] == FEEDBACK_UP)
    return button["value"]


def assert_within_slack_limits(blocks: list[dict]) -> None:
    assert 0 < len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) < 3000
    assert text_chars(blocks) <= MAX_TEXT_CHARS


def record(answers: AnswerService, answer_id: str) -> AnswerRecord:
    with answers.store.session() as session:
        row = session.get(AnswerRecord, answer_id)
    assert row is not None, answer_id
    return row
