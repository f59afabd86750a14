"""/widget.js, the demo page and the browser-facing headers (CSP, framing, CORS) over ASGI."""

import re

import httpx
import pytest
from pydantic import ValidationError

from hlsguide.api.app import create_app
from hlsguide.channels.widget.routes import STATIC
from hlsguide.config import Settings

INTRANET = "https://intranet.example.gov.uk"
STRICT = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)


def client_for(answers, **overrides) -> httpx.AsyncClient:
    settings = answers.settings.model_copy(update=overrides)
    app = create_app(settings, answers.retrieval, answers)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def http(answers):
    async with client_for(answers) as client:
        yield client


@pytest.fixture
async def intranet_http(answers):
    async with client_for(
        answers, cors_origins=[INTRANET], frame_ancestors=["'self'", INTRANET]
    ) as client:
        yield client


async def test_widget_js_is_served_with_a_strict_policy(http):
    response = await http.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert 'customElements.define("hls-guide"' in response.text
    assert response.headers["content-security-policy"] == f"{STRICT}; frame-ancestors 'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-cache"


async def test_widget_js_revalidates_by_etag(http):
    first = await http.get("/widget.js")
    etag = first.headers["etag"]
    again = await http.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    head = await http.head("/widget.js")
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(first.content)


async def test_demo_page_embeds_the_widget_with_one_script_tag(http):
    response = await http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == f"{STRICT}; frame-ancestors 'none'"
    page = response.text
    assert re.findall(r"<script\b[^>]*>", page) == ['<script src="/widget.js" defer>']
    assert "<hls-guide></hls-guide>" in page
    # The CSP allows no inline code or styles, so the page must carry none.
    assert "<style" not in page
    assert not re.search(r"\sstyle=|\son[a-z]+=", page)
    css = await http.get("/demo.css")
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.headers["content-security-policy"].startswith(STRICT)


async def test_configured_framing_replaces_deny(intranet_http):
    for path in ("/", "/widget.js"):
        response = await intranet_http.get(path)
        policy = response.headers["content-security-policy"]
        assert policy == f"{STRICT}; frame-ancestors 'self' {INTRANET}"
        assert "x-frame-options" not in response.headers


async def test_cors_preflight_from_a_configured_origin(intranet_http):
    response = await intranet_http.options(
        "/v1/ask/stream",
        headers={
            "Origin": INTRANET,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == INTRANET
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    assert "content-type" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


async def test_cors_refuses_other_origins(intranet_http):
    response = await intranet_http.options(
        "/v1/ask/stream",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    simple = await intranet_http.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


async def test_cors_headers_reach_error_responses(intranet_http):
    # The widget reads a 422's message cross-origin, so errors carry the CORS header too.
    response = await intranet_http.post(
        "/v1/ask/stream", json={"question": "  "}, headers={"Origin": INTRANET}
    )
    assert response.status_code == 422
    assert response.headers["access-control-allow-origin"] == INTRANET
    assert response.json()["detail"][0]["msg"] == "the question is empty"


async def test_without_configured_origins_no_cross_origin_call_is_allowed(http):
    response = await http.options(
        "/v1/ask/stream",
        headers={"Origin": INTRANET, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers


def test_origins_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("HLSGUIDE_CORS_ORIGINS", f'["{INTRANET}/", "http://127.0.0.1:8080"]')
    monkeypatch.setenv("HLSGUIDE_FRAME_ANCESTORS", '["\'self\'", "https://*.example.gov.uk"]')
    settings = Settings(_env_file=None)
    assert settings.cors_origins == [INTRANET, "http://127.0.0.1:8080"]
    assert settings.frame_ancestors == ["'self'", "https://*.example.gov.uk"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cors_origins", "*", "'*' is not an origin (no wildcards)"),
        ("cors_origins", "https://*.example.gov.uk", "is not an origin (no wildcards)"),
        ("cors_origins", "'self'", "is not an origin"),
        ("cors_origins", "https://intranet.example.gov.uk/path", "is not an origin"),
        ("cors_origins", "javascript:alert(1)", "is not an origin"),
        ("frame_ancestors", "https://a.example; script-src *", "is not 'self' or an origin"),
        ("frame_ancestors", "*", "is not 'self' or an origin"),
        ("frame_ancestors", "ftp://files.example", "is not 'self' or an origin"),
    ],
)
def test_bad_origins_are_refused_with_a_precise_message(field, value, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings(_env_file=None, **{field: [value]})


def test_widget_source_never_parses_markup_or_code():
    # A tripwire beside the browser tests: these APIs would turn answer text into live HTML,
    # run strings as code, or load images.
    source = (STATIC / "widget.js").read_text()
    for api in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "createContextualFragment",
        "DOMParser",
        'createElement("img")',
        "new Image",
        "srcdoc",
    ):
        assert api not in source, api
