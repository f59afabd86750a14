"""Auth (scoped, hashed API keys), rate limits, timeouts, admission control and security
headers, over real ASGI on the small fixture index."""

import asyncio

import httpx
import pytest

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.storage.api_keys import create_api_key, revoke_api_key


def make_app(built, **overrides):
    settings = built.settings.model_copy(update=overrides)
    return create_app(settings, built, AnswerService(settings, built))


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_security_headers_on_every_response(built):
    async with client(make_app(built)) as http:
        for response in (
            await http.get("/healthz"),
            await http.post("/v1/search", json={"query": "targets"}),
            await http.get("/no-such-route"),
            await http.post("/v1/search", json={}),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "frame-ancestors" in response.headers["content-security-policy"]
        assert (await http.post("/v1/search", json={"query": "x"})).headers["cache-control"] == (
            "no-store"
        )


async def test_ask_routes_open_by_default_admin_never(built):
    async with client(make_app(built)) as http:
        assert (await http.post("/v1/search", json={"query": "targets"})).status_code == 200
        # an unknown key on an open route is ignored (OpenAI clients always send one)
        unknown = {"Authorization": "Bearer sk-anything"}
        assert (
            await http.post("/v1/search", json={"query": "x"}, headers=unknown)
        ).status_code == 200
        assert (await http.get("/v1/documents", headers=unknown)).status_code == 401
        response = await http.get("/v1/documents")
        assert response.status_code == 401
        assert "needs an API key with the 'admin' scope" in response.text
        assert response.headers["www-authenticate"] == "Bearer"


async def test_scoped_keys(built):
    app = make_app(built, ask_open=False)
    store = app.state.services.store
    ask_key, _ = create_api_key(store, "intranet", ["ask"])
    admin_key, admin = create_api_key(store, "ops", ["admin", "ask"])
    async with client(app) as http:
        search = {"query": "targets"}
        assert (await http.post("/v1/search", json=search)).status_code == 401
        bad = await http.post("/v1/search", json=search, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        assert "not valid" in bad.text
        ok = await http.post("/v1/search", json=search, headers={"X-API-Key": ask_key})
        assert ok.status_code == 200
        denied = await http.get("/v1/documents", headers={"Authorization": f"Bearer {ask_key}"})
        assert denied.status_code == 403
        assert "lacks the 'admin' scope" in denied.text
        allowed = await http.get("/v1/documents", headers={"Authorization": f"Bearer {admin_key}"})
        assert allowed.status_code == 200
        revoke_api_key(store, admin.id)
        gone = await http.get("/v1/documents", headers={"Authorization": f"Bearer {admin_key}"})
        assert gone.status_code == 401


def test_keys_are_stored_hashed(built):
    app = make_app(built)
    key, record = create_api_key(app.state.services.store, "x", ["ask"])
    assert key not in record.key_hash
    assert len(record.key_hash) == 64
    with pytest.raises(ValueError, match="scopes must be some of"):
        create_api_key(app.state.services.store, "x", ["root"])


async def test_rate_limit_per_ip_and_per_key(built):
    app = make_app(built, rate_limit_per_minute=3)
    key, _ = create_api_key(app.state.services.store, "k", ["ask"])
    async with client(app) as http:
        statuses = [
            (await http.post("/v1/search", json={"query": "trust"})).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        limited = await http.post("/v1/search", json={"query": "trust"})
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert "3 requests per minute" in limited.text
        # a key has its own budget
        keyed = await http.post("/v1/search", json={"query": "trust"}, headers={"X-API-Key": key})
        assert keyed.status_code == 200


async def test_slow_requests_get_504(built):
    app = make_app(built, request_timeout_seconds=0.001)
    async with client(app) as http:
        response = await http.post("/v1/ask", json={"question": "What are learning loops?"})
    assert response.status_code == 504
    assert "longer than" in response.text


async def test_answer_queue_is_bounded(built):
    app = make_app(built, max_concurrent_answers=1, answer_queue_size=0)
    async with client(app) as http:
        responses = await asyncio.gather(
            *[http.post("/v1/ask", json={"question": "What are learning loops?"}) for _ in range(4)]
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 200
    assert 503 in statuses
    busy = next(r for r in responses if r.status_code == 503)
    assert busy.headers["retry-after"] == "5"
    assert "answer slots are busy" in busy.text
