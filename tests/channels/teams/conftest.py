"""Teams test rig: local HTTP servers standing in for Microsoft's hosted parts, and real
Bot Framework activities and tokens.

Only hosted services are replaced. A connector stand-in (the ``serviceUrl`` of an activity)
records what the SDK's real connector client POSTs to ``/v3/conversations/{id}/activities``; a
key server publishes OpenID metadata and a JWKS the way login.botframework.com does, and tokens
are RS256 JWTs signed with keys generated here; Entra's token endpoint (the bot's own outbound
tokens) is replaced by a local token provider through the SDK's ``ConnectionManager``. The
SDK's middleware, validator, adapter and application, our routes and the answer core over the
real corpus all run for real."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from microsoft_agents.hosting.core import AgentAuthConfiguration, AnonymousTokenProvider
from support.servers import LiveServer

from hlsguide.api.app import create_app
from hlsguide.channels.teams import mount_teams
from hlsguide.channels.teams.auth import use_signing_keys
from hlsguide.config import Settings

APP_ID = "5d2c0f6e-2a7b-4c1d-9e3f-0a1b2c3d4e5f"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_ID = f"28:{APP_ID}"
BOT_NAME = "hlsguide"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/uk/"
OUTBOUND_TOKEN = "local-entra-token-for-the-bot"
ALEX_AAD_ID = "3b9e2f4a-6c1d-4e8f-a2b7-5d0c9e1f3a64"


class Connector(LiveServer):
    """The Bot Connector for tests: records every activity posted to a conversation."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self._ids = itertools.count(1)
        app = FastAPI()

        @app.post("/v3/conversations/{rest:path}")
        async def activities(rest: str, request: Request) -> JSONResponse:
            conversation_id, _, reply_to = rest.partition("/activities")
            self.posts.append(
                {
                    "conversation_id": conversation_id,
                    "reply_to": reply_to.strip("/") or None,
                    "authorization": request.headers.get("authorization"),
                    "activity": await request.json(),
                }
            )
            return JSONResponse({"id": f"reply-{next(self._ids)}"}, status_code=201)

        super().__init__(app)

    @property
    def service_url(self) -> str:
        return self.url + "/"

    def messages(self) -> list[dict]:
        return [p for p in self.posts if p["activity"].get("type") == "message"]


class KeyServer(LiveServer):
    """login.botframework.com for tests: OpenID metadata pointing at a JWKS of our keys,
    each endorsed for msteams as Bot Framework's are. Counts key-set fetches."""

    def __init__(self) -> None:
        self.trusted = {"key-1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
        self.key_fetches = 0
        app = FastAPI()

        @app.get("/v1/.well-known/openidconfiguration")
        async def metadata() -> dict:
            return {
                "issuer": BOT_FRAMEWORK_ISSUER,
                "jwks_uri": f"{self.url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            }

        @app.get("/v1/.well-known/keys")
        async def keys() -> dict:
            self.key_fetches += 1
            published = []
            for kid, key in self.trusted.items():
                jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
                published.append({**jwk, "kid": kid, "use": "sig", "endorsements": ["msteams"]})
            return {"keys": published}

        super().__init__(app)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    def token(self, key: Any = None, kid: str = "key-1", **overrides: Any) -> str:
        """A Bot Connector token: RS256, issuer api.botframework.com, audience our App ID,
        valid for an hour, for the Teams service URL; ``overrides`` replace claims (None
        removes one)."""
        now = int(time.time())
        claims = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": APP_ID,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": now + 3600,
            "serviceurl": TEAMS_SERVICE_URL,
        }
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        signer = key if key is not None else self.trusted["key-1"]
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})


class LocalTokenProvider(AnonymousTokenProvider):
    """Stands in for MSAL (Entra's token endpoint): hands the bot a fixed outbound token and
    counts the requests."""

    requests = 0

    def __init__(self, configuration: AgentAuthConfiguration) -> None:
        self._configuration = configuration

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh=False):
        LocalTokenProvider.requests += 1
        return OUTBOUND_TOKEN


def make_activity(
    text: str | None = "How can we commission without outcome targets?",
    *,
    service_url: str = TEAMS_SERVICE_URL,
    conversation_type: str = "personal",
    conversation_id: str | None = None,
    mention: bool = False,
    expect_replies: bool = False,
    tenant: str = TENANT,
    **fields: Any,
) -> dict:
    """A Bot Framework message activity as Teams sends it."""
    if conversation_id is None:
        if conversation_type == "channel":
            thread = uuid.uuid4().hex
            conversation_id = f"19:{thread}@thread.tacv2;messageid={int(time.time() * 1000)}"
        else:
            conversation_id = f"a:1{uuid.uuid4().hex}"
    activity: dict[str, Any] = {
        "type": "message",
        "id": str(int(time.time() * 1000)) + uuid.uuid4().hex[:6],
        "timestamp": "2026-05-04T09:30:00.000Z",
        "localTimezone": "Europe/London",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {
            "id": "29:1user-alex",
            "name": "Alex Commissioner",
            # One person, as Teams names them: conversations and votes are theirs by this id.
            "aadObjectId": ALEX_AAD_ID,
        },
        "conversation": {
            "id": conversation_id,
            "conversationType": conversation_type,
            "tenantId": tenant,
            "isGroup": conversation_type != "personal",
        },
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "textFormat": "plain",
        "locale": "en-GB",
        "channelData": {"tenant": {"id": tenant}},
    }
    if text is not None:
        activity["text"] = f"<at>{BOT_NAME}</at> {text}" if mention else text
    if mention:
        activity["entities"] = [
            {
                "type": "mention",
                "text": f"<at>{BOT_NAME}</at>",
                "mentioned": {"id": BOT_ID, "name": BOT_NAME},
            }
        ]
    if conversation_type == "channel":
        channel = conversation_id.split(";")[0]
        activity["channelData"].update(
            teamsChannelId=channel, teamsTeamId=channel, channel={"id": channel}
        )
    if expect_replies:
        activity["deliveryMode"] = "expectReplies"
    activity.update(fields)
    return activity


def feedback_invoke(answer_id: str, rating: int, comment: str | None = None, **data) -> dict:
    """The invoke Teams sends when a card's ``Action.Execute`` button is pressed (the card's
    inputs merged into the action data)."""
    activity = make_activity(None, expect_replies=False)
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {
                "type": "Action.Execute",
                "verb": "feedback",
                "data": {"answer_id": answer_id, "rating": rating, "comment": comment, **data},
            },
            "trigger": "manual",
        },
    )
    return activity


def card_of(activity: dict) -> dict:
    """The Adaptive Card a reply activity carries."""
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


@pytest.fixture
def connector():
    with Connector() as server:
        yield server


@pytest.fixture
def key_server():
    with KeyServer() as server:
        yield server
    use_signing_keys(None, None)  # the SDK's key cache is process-wide


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def teams_settings(answers):
    """The answer service's settings with Teams switched on (and nothing else changed),
    validated as the environment's would be."""

    def make(**teams):
        fields = {**answers.settings.model_dump(), "teams_enabled": True, **teams}
        return Settings(_env_file=None, **fields)

    return make


@pytest.fixture
async def anonymous_client(answers, teams_settings):
    """The whole API from ``create_app`` with Teams in explicit development mode."""
    app = create_app(teams_settings(teams_allow_anonymous=True), answers.retrieval, answers)
    async with _client(app) as client:
        yield client


@pytest.fixture
async def secured_client(answers, teams_settings, key_server):
    """The whole API with Teams credentials; tokens are checked against the key server, the
    bot's outbound tokens come from the local token provider."""
    settings = teams_settings(
        teams_app_id=APP_ID,
        teams_app_password="app-password",
        teams_tenant_id=TENANT,
        teams_openid_metadata_url=key_server.metadata_url,
    )
    app = create_app(answers.settings, answers.retrieval, answers)
    services = app.state.services
    mount_teams(
        app,
        settings,
        answers,
        services.store,
        services.gate,
        services.rate_limiter,
        token_provider_factory=LocalTokenProvider,
    )
    LocalTokenProvider.requests = 0
    async with _client(app) as client:
        yield client


@pytest.fixture
def rig():
    """The activity and token helpers, for tests."""

    class Rig:
        activity = staticmethod(make_activity)
        feedback = staticmethod(feedback_invoke)
        card = staticmethod(card_of)
        app_id = APP_ID
        tenant = TENANT
        alex_aad_id = ALEX_AAD_ID
        bot_id = BOT_ID
        service_url = TEAMS_SERVICE_URL
        outbound_token = OUTBOUND_TOKEN
        token_provider = LocalTokenProvider
        client = staticmethod(_client)

    return Rig
