"""The HTTP API over real ASGI (httpx), on a real index."""

import asyncio

import httpx
import pytest

from hlsguide.api.app import create_app
from hlsguide.retrieval.service import RetrievalService


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_health_and_search(built):
    app = create_app(built.settings, built)
    async with client(app) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = (await http.get("/readyz")).json()
        assert ready["status"] == "ready"
        assert ready["documents"] == 4
        response = await http.post(
            "/v1/search",
            json={"query": "ratchet effect", "k": 2, "filters": {"kinds": ["concept"]}},
        )
    assert response.status_code == 200
    body = response.json()
    assert body["index_version"] == ready["index_version"]
    assert body["hits"][0]["chunk"]["document_id"] == "target-gaming"
    assert all(h["chunk"]["kind"] == "concept" for h in body["hits"])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"query": ""}, "at least 1 character"),
        ({"query": "   "}, "query must contain text"),
        ({"query": "a\x00b"}, "control characters"),
        ({"query": "x" * 2001}, "at most 2000 characters"),
        ({"query": "ok", "k": 0}, "greater than or equal to 1"),
        ({"query": "ok", "mode": "magic"}, "'hybrid', 'dense' or 'bm25'"),
        ({"query": "ok", "filters": {"kinds": "case"}}, "valid list"),
    ],
)
async def test_bad_search_input_gets_422_with_a_precise_message(built, payload, message):
    async with client(create_app(built.settings, built)) as http:
        response = await http.post("/v1/search", json=payload)
    assert response.status_code == 422
    assert message in response.text


async def test_first_start_builds_the_index(settings, embedder):
    service = RetrievalService(settings, embedder)
    app = create_app(settings, service)
    async with client(app) as http:
        assert (await http.post("/v1/search", json={"query": "trust"})).status_code == 503
        async with app.router.lifespan_context(app):
            for _ in range(600):
                ready = await http.get("/readyz")
                if ready.status_code == 200:
                    break
                assert ready.json()["status"] == "building"
                await asyncio.sleep(0.1)
            assert ready.status_code == 200, ready.text
            response = await http.post("/v1/search", json={"query": "alliance budget"})
    assert response.json()["hits"][0]["chunk"]["document_id"] == "case-riverside"
