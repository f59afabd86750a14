"""Fixtures of the API tests: the app on the shared real index, and an HTTP client to it."""

import httpx
import pytest

from hlsguide.api.app import create_app


@pytest.fixture(scope="module")
def app(answers):
    return create_app(answers.settings, answers.retrieval, answers)


@pytest.fixture
async def http(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
