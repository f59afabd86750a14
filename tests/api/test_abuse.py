"""Hostile requests sent to a real uvicorn server: each is refused precisely, or bounded."""

import time

import httpx
import pytest

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from tests.support.services import serving


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
        ({"topics": ["gaming"] * 200_000}, "topics", "at most 20 items"),
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
