"""``POST /v1/review`` over real HTTP (a uvicorn server on a free port), on a real index."""

from __future__ import annotations

import httpx
import pytest
from support.drafts import FLAGGED, draft_docx
from support.services import serving

from hlsguide.api.app import create_app
from hlsguide.retrieval.index import current_generation
from hlsguide.storage.api_keys import create_api_key


def make_app(review_retrieval, **overrides):
    settings = review_retrieval.settings.model_copy(update=overrides)
    app = create_app(settings, review_retrieval)
    assert app.state.services.review.lens.framings  # loaded here, not inside a request's timeout
    return app


def written(review_retrieval):
    folder = review_retrieval.settings.resolved_documents_dir
    files = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return current_generation(review_retrieval.settings.index_dir), files


def test_review_returns_findings_and_stores_nothing(review_retrieval):
    before = written(review_retrieval)
    with serving(make_app(review_retrieval)) as base:
        response = httpx.post(
            f"{base}/v1/review",
            files={"file": ("draft.bin", draft_docx(), "application/octet-stream")},
            timeout=300,
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [f["quote"] for f in body["findings"]] == FLAGGED  # sniffed as DOCX, not by name
    for finding in body["findings"]:
        assert finding["citations"]
        assert all(m["evidence"] for m in finding["framings"])
    assert body["stored_as"] is None
    assert written(review_retrieval) == before


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"", 422, "empty"),
        (b"\x00\x01\x02binary\xff\xfe", 415, "unsupported content"),
        (b"PK\x03\x04not really a zip", 415, "ZIP"),
        (b"x" * 5000, 413, "limit"),
    ],
)
def test_bad_drafts_get_precise_errors(review_retrieval, content, status, message):
    before = written(review_retrieval)
    with serving(make_app(review_retrieval, max_upload_bytes=4000)) as base:
        response = httpx.post(f"{base}/v1/review", files={"file": ("d.docx", content)}, timeout=60)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert written(review_retrieval) == before


def test_ask_scope_and_index_on_request(review_retrieval):
    app = make_app(review_retrieval, ask_open=False)
    store = app.state.services.store
    ask_key, _ = create_api_key(store, "reader", ["ask"])
    admin_key, _ = create_api_key(store, "curator", ["ask", "admin"])
    text = FLAGGED[2].encode()
    with serving(app) as base:
        url = f"{base}/v1/review"
        assert httpx.post(url, files={"file": ("d.txt", text)}).status_code == 401
        reader = {"Authorization": f"Bearer {ask_key}"}
        ok = httpx.post(url, files={"file": ("d.txt", text)}, headers=reader, timeout=120)
        assert ok.status_code == 200
        assert ok.json()["findings"][0]["framings"][0]["name"] == "short_reprocurement"
        refused = httpx.post(
            url, params={"index": "true"}, files={"file": ("d.txt", text)}, headers=reader
        )
        assert refused.status_code == 403
        assert "admin" in refused.json()["detail"]
        curator = {"Authorization": f"Bearer {admin_key}"}
        stored = httpx.post(
            url,
            params={"index": "true"},
            files={"file": ("tender.txt", text)},
            headers=curator,
            timeout=600,
        )
        assert stored.status_code == 200, stored.text
        assert stored.json()["stored_as"] == "doc-tender"
        listed = httpx.get(f"{base}/v1/documents", headers=curator).json()
        assert [d["id"] for d in listed] == ["doc-tender"]
        httpx.delete(f"{base}/v1/documents/doc-tender", headers=curator, timeout=600)
