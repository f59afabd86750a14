"""/v1/ask, /v1/ask/stream, /v1/sources and /v1/feedback over HTTP (httpx + ASGI), real index."""

import json

import pytest
from support.answers import retrieved_texts

from hlsguide.answer.citations import MARKER


async def test_ask_returns_a_cited_answer(http, answers):
    response = await http.post("/v1/ask", json={"question": "What are learning cycles?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"answer_id", "answer", "citations", "lens", "mode", "timings"}
    retrieved = retrieved_texts(answers, "What are learning cycles?")
    markers = {int(n) for n in MARKER.findall(body["answer"].split("### Sources")[0])}
    assert markers == {c["n"] for c in body["citations"]}
    for citation in body["citations"]:
        assert citation["chunk_id"] in retrieved  # only what was retrieved is cited
        assert citation["quote"] in retrieved[citation["chunk_id"]]
    assert body["timings"]["total_ms"] > 0


async def test_target_framing_is_reframed_over_http(http):
    response = await http.post(
        "/v1/ask",
        json={"question": "Which KPIs should providers hit so that 90% of targets are met?"},
    )
    body = response.json()
    assert [f["name"] for f in body["lens"]["flags"]] == ["target_setting"]
    assert "### What this means in a complex system" in body["answer"]


async def test_out_of_scope_is_refused_over_http(http):
    body = (await http.post("/v1/ask", json={"question": "Best lasagne recipe?"})).json()
    assert body["refused"] is True
    assert body["citations"] == []


async def test_follow_up_over_http(http):
    first = (await http.post("/v1/ask", json={"question": "What is the Plymouth Alliance?"})).json()
    follow = (
        await http.post(
            "/v1/ask",
            json={
                "question": "Who are its members?",
                "conversation_id": first["conversation_id"],
                "conversation_secret": first["conversation_secret"],
            },
        )
    ).json()
    assert "Plymouth Alliance" in follow["standalone_query"]


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"question": ""}, 422, "the question is empty"),
        ({"question": "  "}, 422, "the question is empty"),
        ({"question": "word " * 500}, 422, "tokens long; the limit is 300"),
        ({"question": "abc\x00def"}, 422, "binary data"),
        ({"question": "abc\x1bdef"}, 422, "control character"),
        ({"question": "ok?", "top_k": 0}, 422, "greater than or equal to 1"),
        ({"question": "ok?", "mode": "magic"}, 422, "'extractive' or 'llm'"),
        ({"question": "What is HLS?", "conversation_id": "nope"}, 404, "no conversation"),
        ({}, 422, "Field required"),
    ],
)
async def test_bad_ask_input(http, payload, status, message):
    for route in ("/v1/ask", "/v1/ask/stream"):
        response = await http.post(route, json=payload)
        assert response.status_code == status, (route, response.text)
        assert message in response.text


async def test_sse_framing(http):
    async with http.stream(
        "POST", "/v1/ask/stream", json={"question": "What is trust-based funding?"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join([chunk async for chunk in response.aiter_text()])
    frames = [f for f in raw.split("\n\n") if f]
    events = []
    for frame in frames:
        lines = frame.split("\n")
        assert lines[0].startswith("event: "), frame
        assert lines[1].startswith("data: "), frame
        events.append((lines[0][7:], json.loads(lines[1][6:])))
    names = [name for name, _ in events]
    assert names[0] == "lens"
    assert names[-1] == "done"
    assert "delta" in names
    assert "citation" in names
    assert names.index("citation") > names.index("delta")
    text = "".join(data["text"] for name, data in events if name == "delta")
    citations = [data for name, data in events if name == "citation"]
    assert {int(n) for n in MARKER.findall(text.split("### Sources")[0])} == {
        c["n"] for c in citations
    }
    assert events[-1][1]["answer_id"]


async def test_sources(http):
    listing = (await http.get("/v1/sources", params={"kind": "case"})).json()
    assert len(listing) == 25
    assert all(s["kind"] == "case" for s in listing)
    detail = (await http.get("/v1/sources/gaming-and-targets")).json()
    assert detail["chunks"] > 0
    assert any(p["id"] == "bevan-hood2006" for p in detail["publications"])
    missing = await http.get("/v1/sources/nope")
    assert missing.status_code == 404
    assert "no source with id 'nope'" in missing.text


async def test_feedback(http):
    answer = (await http.post("/v1/ask", json={"question": "What is co-production?"})).json()
    ok = await http.post(
        "/v1/feedback",
        json={
            "answer_id": answer["answer_id"],
            "rating": 1,
            "comment": "useful",
            "conversation_secret": answer["conversation_secret"],
        },
    )
    assert ok.status_code == 201
    assert (
        await http.post("/v1/feedback", json={"answer_id": "x", "rating": 1})
    ).status_code == 404
    bad = await http.post("/v1/feedback", json={"answer_id": answer["answer_id"], "rating": 5})
    assert bad.status_code == 422


async def test_openapi_has_examples(http):
    schema = (await http.get("/openapi.json")).json()
    ask_schema = schema["components"]["schemas"]["AskRequest"]
    assert ask_schema["properties"]["question"]["examples"]
