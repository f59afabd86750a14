"""Hostile requests sent to a real uvicorn server: each is refused precisely, or bounded."""

import time

import httpx
import pytest
from support.services import serving

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app


def make_app(built, **overrides):
    settings = built.settings.model_copy(update=overrides)
    return create_app(settings, built, AnswerService(settings, built))


@pytest.fixture
def server(built):
    with serving(make_app(built)) as url:
        yield url


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"topics": ["gaming"] * 90_000}, "topics", "at most 20 values, not 90000"),
        ({"document_ids": ["x" * 5000]}, "document_ids", "at most 100 characters"),
        ({"topics": ["not-a-topic"]}, "topics", "unknown topics 'not-a-topic'"),
        ({"kinds": ["secret"]}, "kinds", "unknown kinds 'secret'"),
        ({"principles": ["money"]}, "principles", "unknown principles 'money'"),
        ({"document_ids": ["../etc"]}, "document_ids", "unknown document_ids"),
    ],
)
def test_filter_bomb_refused_with_the_field_named(server, filters, field, message):
    started = time.perf_counter()
    response = httpx.post(
        f"{server}/v1/search", json={"query": "targets", "filters": filters}, timeout=30
    )
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["loc"][:3] == ["body", "filters", field] for e in errors), errors
    assert message in response.text
    assert all("input" not in e for e in errors)  # the hostile body is not echoed back
    assert len(response.content) < 2000
    assert time.perf_counter() - started < 2


def test_valid_filters_still_search(server):
    response = httpx.post(
        f"{server}/v1/search",
        json={"query": "targets", "filters": {"topics": ["gaming", "homelessness"]}},
    )
    assert response.status_code == 200
    assert {h["chunk"]["document_id"] for h in response.json()["hits"]} <= {
        "target-gaming",
        "case-riverside",
    }


def test_oversized_body_refused_before_it_is_read(server):
    body = b'{"query": "' + b"a" * 5_000_000 + b'"}'
    response = httpx.post(
        f"{server}/v1/search", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "the request body is larger than the 1000000-byte limit"


def test_oversized_chunked_body_refused_while_streaming(server):
    sent = 0

    def chunks():
        nonlocal sent
        for _ in range(100):  # 10 MB if it were all read
            sent += 100_000
            yield b"a" * 100_000

    with httpx.Client(timeout=30) as http:
        try:
            response = http.post(f"{server}/v1/ask", content=chunks())
        except httpx.HTTPError:
            response = None  # the server may close the connection while we still send
    assert response is None or response.status_code == 413


def test_oversized_body_refused_before_authentication(built):
    with serving(make_app(built, ask_open=False)) as url:
        response = httpx.post(
            f"{url}/v1/search",
            content=b"x" * 2_000_000,
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413


def test_uploads_have_their_own_limit_enforced_while_streaming(built):
    from hlsguide.storage.api_keys import create_api_key

    app = make_app(built, max_upload_bytes=3_000_000)
    key, _ = create_api_key(app.state.services.store, "ops", ["admin"])
    headers = {"X-API-Key": key}
    # Over the 1 MB global limit, yet quick to index: the bulk is a comment, which is dropped.
    text = (
        "# Notes on learning\n\nLearning cycles help teams adapt.\n<!--" + "x" * 1_500_000 + "-->"
    )
    with serving(app) as url:
        accepted = httpx.post(
            f"{url}/v1/documents",
            files={"file": ("notes.md", text.encode(), "text/markdown")},
            headers=headers,
            timeout=300,
        )
        assert accepted.status_code == 201, accepted.text  # over the 1 MB global limit
        refused = httpx.post(
            f"{url}/v1/documents",
            files={"file": ("big.md", b"# Big\n\n" + b"a " * 2_000_000, "text/markdown")},
            headers=headers,
            timeout=60,
        )
        assert refused.status_code == 413
        assert "byte limit" in refused.json()["detail"]


@pytest.fixture
def admin(built):
    from hlsguide.storage.api_keys import create_api_key

    app = make_app(built)
    key, _ = create_api_key(app.state.services.store, "ops", ["admin"])
    with serving(app) as url:
        yield url, {"X-API-Key": key}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # exponential for a repeat of comments nested in a repeat
        ("comments.html", b"<!--" * 40 + b"<p>Learning cycles help teams adapt.</p>"),
        # quadratic for a lazy heading title before trailing blanks
        ("blanks.md", b"# a" + b" " * 200_000 + b"b\n\nLearning cycles help teams adapt."),
        # quadratic for a comment pattern that rescans from every unclosed "<!--"
        ("open.md", b"# Notes\n\nLearning cycles help.\n" + b"<!--" * 50_000),
    ],
)
def test_redos_uploads_answered_quickly(admin, name, content):
    url, headers = admin
    started = time.perf_counter()
    response = httpx.post(
        f"{url}/v1/documents", files={"file": (name, content)}, headers=headers, timeout=120
    )
    elapsed = time.perf_counter() - started
    assert response.status_code in (201, 415, 422), response.text
    assert elapsed < 20, f"{name} took {elapsed:.1f} s"


def test_upload_front_matter_cannot_choose_id_or_kind(admin, built):
    url, headers = admin
    forged = (
        "---\nid: target-gaming\ntitle: Forged\nkind: concept\nsummary: x\n"
        "principles: [systems]\ntopics: [gaming]\n---\n# Forged note\n\nTargets are fine.\n"
    )
    response = httpx.post(
        f"{url}/v1/documents",
        files={"file": ("target-gaming.md", forged.encode())},
        headers=headers,
        timeout=120,
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["id"] == "doc-target-gaming"
    assert stored["kind"] == "document"
    documents = built.searcher().snapshot.documents
    assert documents["target-gaming"]["kind"] == "concept"  # the corpus document is intact
    assert documents["doc-target-gaming"]["topics"] == []


def test_burst_of_faq_jobs_is_capped(built):
    from hlsguide.storage.api_keys import create_api_key

    app = make_app(built, faq_max_active_jobs=2)
    key, _ = create_api_key(app.state.services.store, "curator", ["admin"])
    questions = ["What is a learning loop?"] * 50
    with serving(app) as url:
        responses = [
            httpx.post(
                f"{url}/v1/faq/jobs",
                json={"questions": questions},
                headers={"X-API-Key": key},
                timeout=30,
            )
            for _ in range(5)
        ]
        too_many = httpx.post(
            f"{url}/v1/faq/jobs",
            json={"questions": questions * 20},
            headers={"X-API-Key": key},
            timeout=30,
        )
    codes = [r.status_code for r in responses]
    assert codes[:2] == [202, 202]
    assert 429 in codes[2:], codes
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["retry-after"] == "30"
    assert "the limit is 2" in refused.json()["detail"]
    assert too_many.status_code == 422
    assert "1000 questions; the limit is 500" in too_many.text


def test_docs_load_nothing_from_the_internet(server):
    import re

    for page in ("/docs", "/redoc"):
        response = httpx.get(f"{server}{page}")
        assert response.status_code == 200
        assert "https://" not in response.headers["content-security-policy"]
        sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
        sources += re.findall(r"(?:url|href): *'([^']+)'", response.text)
        assert sources, page
        for source in sources:
            assert source.startswith("/"), f"{page} loads {source}"
            if "static-offline-docs" in source:
                assert httpx.get(f"{server}{source}").status_code == 200


def test_docs_can_be_switched_off(built):
    with serving(make_app(built, api_docs=False)) as url:
        for page in ("/docs", "/redoc", "/openapi.json"):
            assert httpx.get(f"{url}{page}").status_code == 404
