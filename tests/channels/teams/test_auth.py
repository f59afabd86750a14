"""Bot Framework authentication through the SDK, with tokens signed by keys generated here and
published by the local key server; and the refusal to start without credentials."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from hlsguide.api.app import create_app
from hlsguide.channels.teams import TeamsConfigError


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_signed_token_is_accepted(secured_client, key_server, rig):
    response = await secured_client.post(
        "/api/messages",
        json=rig.activity(expect_replies=True),
        headers=_bearer(key_server.token()),
    )

    assert response.status_code == 200, response.text
    (reply,) = response.json()["activities"]
    assert rig.card(reply)["type"] == "AdaptiveCard"
    assert key_server.key_fetches >= 1  # the key came from the key server, not from Microsoft
    assert rig.token_provider.requests >= 1  # outbound tokens come from the token provider


async def test_missing_token_is_refused(secured_client, rig):
    response = await secured_client.post("/api/messages", json=rig.activity(expect_replies=True))
    assert response.status_code == 401
    assert response.json() == {"error": "Authorization header not found"}


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "token"])
async def test_malformed_authorization_is_refused(secured_client, rig, header):
    response = await secured_client.post(
        "/api/messages", json=rig.activity(expect_replies=True), headers={"Authorization": header}
    )
    assert response.status_code == 401


def _forged(key_server) -> dict[str, str]:
    now = int(time.time())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "signed by a key not in the JWKS": key_server.token(key=stranger),
        "with an unknown key id": key_server.token(key=stranger, kid="key-99"),
        "for another bot (wrong audience)": key_server.token(aud="another-app-id"),
        "without an audience": key_server.token(aud=None),
        "expired beyond the 5 minute leeway": key_server.token(iat=now - 4000, exp=now - 400),
        "from another issuer": key_server.token(iss="https://issuer.example.com"),
        "signed with HS256 by the public key": _hs256(key_server),
        "unsigned (alg none)": _unsigned(),
        "not a JWT": "not.a.jwt",
    }


def _hs256(key_server) -> str:
    import jwt
    from cryptography.hazmat.primitives import serialization

    public = (
        key_server.trusted["key-1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # PyJWT refuses PEM keys as HMAC secrets; sign the classic confusion attack by hand.
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "kid": "key-1", "typ": "JWT"}).encode())
    claims = jwt.decode(key_server.token(), options={"verify_signature": False})
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(public, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def _unsigned() -> str:
    import jwt

    return jwt.encode({"iss": "https://api.botframework.com", "aud": "x"}, None, algorithm="none")


async def test_forged_tokens_are_refused(secured_client, key_server, rig):
    refused = {}
    for case, token in _forged(key_server).items():
        response = await secured_client.post(
            "/api/messages", json=rig.activity(expect_replies=True), headers=_bearer(token)
        )
        refused[case] = response.status_code
    assert refused == dict.fromkeys(refused, 401)


async def test_token_within_the_clock_skew_leeway_is_accepted(secured_client, key_server, rig):
    now = int(time.time())
    token = key_server.token(iat=now - 3700, exp=now - 100)
    response = await secured_client.post(
        "/api/messages", json=rig.activity(expect_replies=True), headers=_bearer(token)
    )
    assert response.status_code == 200


async def test_service_url_must_be_a_connector_host_and_match_the_token(
    secured_client, key_server, rig
):
    elsewhere = "https://collector.example.com/"
    cases = {
        # a genuine token, but the activity names another host to send replies (and our
        # outbound token) to
        "host not allowed": (rig.activity(service_url=elsewhere), key_server.token()),
        "token issued for another host": (
            rig.activity(service_url="https://smba.trafficmanager.net/emea/"),
            key_server.token(serviceurl="https://other.botframework.com/"),
        ),
        "plain http": (rig.activity(service_url="http://smba.trafficmanager.net/uk/"), None),
    }
    for case, (activity, token) in cases.items():
        token = token or key_server.token(serviceurl=activity["serviceUrl"])
        response = await secured_client.post("/api/messages", json=activity, headers=_bearer(token))
        assert response.status_code == 401, case


async def test_signing_keys_are_fetched_once_not_per_request(secured_client, key_server, rig):
    for _ in range(3):
        response = await secured_client.post(
            "/api/messages",
            json=rig.activity(expect_replies=True),
            headers=_bearer(key_server.token()),
        )
        assert response.status_code == 200
    assert key_server.key_fetches == 1


async def test_other_routes_do_not_need_a_bot_token(secured_client):
    assert (await secured_client.get("/healthz")).status_code == 200


async def test_create_app_serves_teams_with_credentials(answers, teams_settings, key_server, rig):
    settings = teams_settings(
        teams_app_id=rig.app_id,
        teams_app_password="app-password",
        teams_tenant_id=rig.tenant,
        teams_openid_metadata_url=key_server.metadata_url,
    )
    async with rig.client(create_app(settings, answers.retrieval, answers)) as client:
        missing = await client.post("/api/messages", json=rig.activity(expect_replies=True))
        forged = await client.post(
            "/api/messages",
            json=rig.activity(expect_replies=True),
            headers=_bearer(key_server.token(aud="another-app-id")),
        )
    assert (missing.status_code, forged.status_code) == (401, 401)


@pytest.mark.parametrize(
    ("teams", "message"),
    [
        ({}, "Teams is enabled without credentials"),
        ({"teams_app_id": "x"}, "set HLSGUIDE_TEAMS_APP_PASSWORD, HLSGUIDE_TEAMS_TENANT_ID"),
        (
            {
                "teams_app_id": "x",
                "teams_app_password": "y",
                "teams_tenant_id": "z",
                "teams_allow_anonymous": True,
            },
            "together with Teams credentials",
        ),
    ],
)
def test_server_refuses_to_start_without_credentials(answers, teams_settings, teams, message):
    with pytest.raises(TeamsConfigError, match=message):
        create_app(teams_settings(**teams), answers.retrieval, answers)


def test_settings_from_the_environment_refuse_too(answers, monkeypatch):
    from hlsguide.config import Settings

    monkeypatch.setenv("HLSGUIDE_TEAMS_ENABLED", "true")
    monkeypatch.setenv("HLSGUIDE_TEAMS_APP_ID", "")
    settings = Settings(_env_file=None, data_dir=answers.settings.data_dir)
    with pytest.raises(TeamsConfigError, match="HLSGUIDE_TEAMS_ALLOW_ANONYMOUS=true"):
        create_app(settings, answers.retrieval, answers)
    monkeypatch.setenv("HLSGUIDE_TEAMS_ALLOW_ANONYMOUS", "true")
    settings = Settings(_env_file=None, data_dir=answers.settings.data_dir)
    app = create_app(settings, answers.retrieval, answers)
    assert "/api/messages" in app.openapi()["paths"]


async def test_development_mode_does_not_take_a_token_it_cannot_check(
    answers, teams_settings, key_server, rig
):
    """Without an App ID no audience can match: a presented token is refused, not ignored."""
    settings = teams_settings(
        teams_allow_anonymous=True, teams_openid_metadata_url=key_server.metadata_url
    )
    async with rig.client(create_app(settings, answers.retrieval, answers)) as client:
        response = await client.post(
            "/api/messages",
            json=rig.activity(expect_replies=True),
            headers=_bearer(key_server.token()),
        )
    assert response.status_code == 401


async def test_token_must_name_the_exact_service_url(secured_client, key_server, rig):
    cases = {
        "no serviceurl claim": key_server.token(serviceurl=None),
        "another path on the same host": key_server.token(
            serviceurl="https://smba.trafficmanager.net/emea/"
        ),
    }
    for case, token in cases.items():
        response = await secured_client.post(
            "/api/messages", json=rig.activity(expect_replies=True), headers=_bearer(token)
        )
        assert response.status_code == 401, case
    matching = key_server.token(serviceurl=rig.service_url.rstrip("/"))
    response = await secured_client.post(
        "/api/messages", json=rig.activity(expect_replies=True), headers=_bearer(matching)
    )
    assert response.status_code == 200, response.text


def test_service_hosts_are_named_not_the_sdk_defaults(teams_settings):
    from hlsguide.channels.teams.auth import auth_configuration, host_validator

    settings = teams_settings(teams_app_id="x", teams_app_password="y", teams_tenant_id="z")
    validator = host_validator(settings, auth_configuration(settings))
    assert validator.is_allowed("https://smba.trafficmanager.net/uk/")
    for url in (
        "https://attacker.blob.core.windows.net/x",
        "https://evil.sharepoint.com/",
        "https://graph.microsoft.com/",
    ):
        assert not validator.is_allowed(url), url


def test_anonymous_mode_needs_a_loopback_bind(answers, teams_settings):
    with pytest.raises(TeamsConfigError, match="bound to loopback"):
        create_app(
            teams_settings(teams_allow_anonymous=True, host="0.0.0.0"), answers.retrieval, answers
        )


async def test_anonymous_mode_takes_loopback_callers_only(answers, teams_settings, rig):
    import httpx

    app = create_app(teams_settings(teams_allow_anonymous=True), answers.retrieval, answers)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/api/messages", json=rig.activity(expect_replies=True))
    assert response.status_code == 403
    assert "loopback" in response.json()["error"]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://login.example.org/openid", True),
        ("http://127.0.0.1:8123/openid", True),
        ("http://keys.example.org/openid", False),
        ("http://127.0.0.1.evil.example/openid", False),
    ],
)
def test_metadata_url_is_https(url, ok):
    from pydantic import ValidationError

    from hlsguide.config import Settings

    if ok:
        assert Settings(_env_file=None, teams_openid_metadata_url=url).teams_openid_metadata_url
    else:
        with pytest.raises(ValidationError, match="must be an https URL"):
            Settings(_env_file=None, teams_openid_metadata_url=url)


CONNECTOR_APP = "0b6d5b1e-7f3a-4c2e-9d8b-1a2b3c4d5e6f"


@pytest.fixture
async def entra_client(answers, teams_settings, key_server, rig):
    """Teams with credentials and one app id named as the connector's, for tokens Entra (not
    Bot Framework) issued, signed by the key server's keys like the rest."""
    from hlsguide.channels.teams import mount_teams

    settings = teams_settings(
        teams_app_id=rig.app_id,
        teams_app_password="app-password",
        teams_tenant_id=rig.tenant,
        teams_openid_metadata_url=key_server.metadata_url,
        teams_connector_app_ids=[CONNECTOR_APP],
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
        token_provider_factory=rig.token_provider,
    )
    async with rig.client(app) as client:
        yield client


async def test_entra_tokens_must_be_issued_to_the_connector(entra_client, key_server, rig):
    v2 = {"iss": f"https://login.microsoftonline.com/{rig.tenant}/v2.0", "tid": rig.tenant}
    v1 = {"iss": f"https://sts.windows.net/{rig.tenant}/", "tid": rig.tenant, "ver": "1.0"}
    refused = {
        "no azp or appid": (key_server.token(**v2), "names no calling app"),
        "another app of the tenant": (
            key_server.token(**v2, azp="9f9f9f9f-0000-4000-8000-000000000000"),
            "not issued to the Bot Framework connector",
        ),
        "another app, v1 token": (
            key_server.token(**v1, appid="9f9f9f9f-0000-4000-8000-000000000000"),
            "not issued to the Bot Framework connector",
        ),
    }
    for case, (token, reason) in refused.items():
        response = await entra_client.post(
            "/api/messages", json=rig.activity(expect_replies=True), headers=_bearer(token)
        )
        assert response.status_code == 401, case
        assert reason in response.json()["error"], case
    for token in (
        key_server.token(**v2, azp=CONNECTOR_APP),
        key_server.token(**v1, appid=CONNECTOR_APP),
    ):
        response = await entra_client.post(
            "/api/messages", json=rig.activity(expect_replies=True), headers=_bearer(token)
        )
        assert response.status_code == 200, response.text


def test_bot_framework_tokens_are_the_connector_s_by_their_issuer():
    from hlsguide.channels.teams.auth import token_problem

    url = "https://smba.trafficmanager.net/uk/"
    issued = {"iss": "https://api.botframework.com", "serviceurl": url}
    assert token_problem(issued, url) is None
    entra = {**issued, "iss": "https://login.microsoftonline.com/t/v2.0"}
    assert token_problem(entra, url) == "the token names no calling app (azp or appid)"
    assert token_problem({**entra, "azp": "a"}, url, ["a"]) is None
