"""The console's defences over real HTTP (httpx on the ASGI app): no page or action without a
session, no session from an ask key, CSRF on every form, a fresh session id at each sign-in,
cookies that scripts and other sites cannot use, and a CSP that names no other host."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import update

from hlsguide.admin.auth import SESSION_COOKIE
from hlsguide.admin.mount import ROUTERS
from hlsguide.api.app import create_app
from hlsguide.storage.admin_sessions import find_session, open_session
from hlsguide.storage.api_keys import create_api_key, list_api_keys, revoke_api_key
from hlsguide.storage.models import AdminSession

HTML = {"accept": "text/html,application/xhtml+xml"}
JSON = {"accept": "application/json"}
PUBLIC = {"/admin/login", "/admin/static/{name}"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(settings):
    return create_app(settings.model_copy(update={"build_index_on_start": False}))


@pytest.fixture
def keys(app):
    store = app.state.services.store
    return {
        "admin": create_api_key(store, "curator", ["admin"])[0],
        "ask": create_api_key(store, "widget", ["ask"])[0],
    }


def client(app, base_url: str = "http://console.test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def sign_in(http: httpx.AsyncClient, key: str) -> httpx.Response:
    form = await http.get("/admin/login", headers=HTML)
    token = CSRF.search(form.text).group(1)
    return await http.post("/admin/login", data={"api_key": key, "csrf_token": token}, headers=HTML)


async def session_of(http: httpx.AsyncClient, key: str) -> str:
    """Sign in with ``key``; the session id the console set."""
    await sign_in(http, key)
    return http.cookies[SESSION_COOKIE]


async def csrf_of(http: httpx.AsyncClient) -> str:
    return CSRF.search((await http.get("/admin/keys", headers=HTML)).text).group(1)


def admin_routes(app) -> list[tuple[str, str]]:
    """(method, path with every parameter filled) of each console page and action: the routes
    of every router the console mounts (a route the app did not serve would answer 404 and
    fail the tests that walk them)."""
    found = []
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            assert route.path.startswith("/admin")
            if route.path in PUBLIC:
                continue
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            found += [(method, path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_the_console_has_the_pages_and_actions_the_tests_walk(app):
    routes = admin_routes(app)
    assert ("GET", "/admin/documents") in routes
    assert ("POST", "/admin/keys/x/revoke") in routes
    assert ("POST", "/admin/faq/jobs/x/items/x/review") in routes
    assert ("GET", "/admin/insights") in routes
    assert len(routes) >= 17


async def test_without_a_session_a_browser_goes_to_the_login_and_others_get_401(app, keys):
    async with client(app) as http:
        for method, path in admin_routes(app):
            page = await http.request(method, path, headers=HTML)
            assert page.status_code == 303, (method, path)
            assert page.headers["location"] == "/admin/login", (method, path)
            api = await http.request(method, path, headers=JSON)
            assert api.status_code == 401, (method, path)
            assert "sign in" in api.json()["detail"]
        # A session cookie that names no session is no session.
        http.cookies.set(SESSION_COOKIE, "made-up", domain="console.test", path="/admin")
        assert (await http.get("/admin/", headers=HTML)).status_code == 303


async def test_an_ask_key_opens_no_session(app, keys):
    async with client(app) as http:
        refused = await sign_in(http, keys["ask"])
        assert refused.status_code == 403
        assert "does not have the admin scope" in refused.text
        assert SESSION_COOKIE not in refused.cookies
        assert (await http.get("/admin/", headers=HTML)).status_code == 303
    # Nor does a session row made for an ask key by any other means.
    store = app.state.services.store
    ask_id = next(k.id for k in list_api_keys(store) if k.scopes == ["ask"])
    token = open_session(store, ask_id, timedelta(hours=1))
    assert find_session(store, token) is None
    async with client(app) as http:
        http.cookies.set(SESSION_COOKIE, token, domain="console.test", path="/admin")
        assert (await http.get("/admin/keys", headers=HTML)).status_code == 303


async def test_a_wrong_key_gets_the_form_and_counts_toward_the_rate_limit(settings, keys):
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))
    store = app.state.services.store
    admin_key = create_api_key(store, "curator", ["admin"])[0]
    async with client(app) as http:
        for _ in range(3):
            wrong = await sign_in(http, "hls_wrong")
            assert wrong.status_code == 401
            assert "That key is not valid" in wrong.text
            assert 'aria-invalid="true"' in wrong.text
        limited = await sign_in(http, admin_key)  # even the right key waits now
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert SESSION_COOKIE not in limited.cookies


async def test_sign_in_mints_a_new_session_id_and_closes_any_other(app, keys):
    store = app.state.services.store
    async with client(app) as attacker:
        attackers = await session_of(attacker, keys["admin"])
    for planted in ("chosen-by-an-attacker", attackers):
        async with client(app) as victim:
            victim.cookies.set(SESSION_COOKIE, planted, domain="console.test", path="/admin")
            signed = await sign_in(victim, keys["admin"])
            assert signed.status_code == 303
            assert signed.headers["location"] == "/admin/"
            fresh = signed.cookies[SESSION_COOKIE]
            assert fresh != planted
            assert find_session(store, fresh) is not None
            assert find_session(store, planted) is None  # the planted id signs nobody in
            assert (await victim.get("/admin/", headers=HTML)).status_code == 200


async def test_session_cookie_is_httponly_strict_and_secure_over_https(app, keys):
    for base, secure in (("http://console.test", False), ("https://console.test", True)):
        async with client(app, base) as http:
            signed = await sign_in(http, keys["admin"])
            cookie = next(
                c for c in signed.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
            )
            attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
            assert {"httponly", "samesite", "path", "max-age"} <= attributes
            assert "SameSite=strict" in cookie
            assert "Path=/admin" in cookie
            assert ("secure" in attributes) is secure


async def test_forms_without_their_csrf_token_or_with_another_are_403(app, keys):
    store = app.state.services.store
    async with client(app) as other:
        await sign_in(other, keys["admin"])
        someone_elses = await csrf_of(other)
    async with client(app) as http:
        await sign_in(http, keys["admin"])
        mine = await csrf_of(http)
        before = [(k.id, k.revoked_at) for k in list_api_keys(store)]
        actions = [
            ("/admin/keys", {"name": "sneaky", "scope": "admin"}, None),
            ("/admin/keys/{key}/revoke", {}, None),
            ("/admin/documents", {}, {"file": ("a.txt", b"Pooled budgets help.")}),
            ("/admin/documents/{doc}/delete", {}, None),
            ("/admin/faq", {"questions": "What is HLS?"}, None),
            ("/admin/faq/jobs/{job}/items/{item}/review", {"decision": "approve"}, None),
            ("/admin/logout", {}, None),
        ]
        every_post = {path for method, path in admin_routes(app) if method == "POST"}
        assert {a.format(key="x", doc="x", job="x", item="x") for a, _, _ in actions} == every_post
        ids = {"key": before[0][0], "doc": "doc-a", "job": "j1", "item": "q001"}
        actions = [(path.format(**ids), data, files) for path, data, files in actions]
        for path, data, files in actions:
            for token in (None, "", "forged", someone_elses, mine + "x"):
                body = data if token is None else {**data, "csrf_token": token}
                refused = await http.post(path, data=body, files=files, headers=HTML)
                assert refused.status_code == 403, (path, token)
                assert "security token" in refused.text
        assert [(k.id, k.revoked_at) for k in list_api_keys(store)] == before
        assert (await http.get("/admin/", headers=HTML)).status_code == 200  # still signed in
        # The same form with its token goes through.
        created = await http.post(
            "/admin/keys", data={"name": "fine", "scope": "ask", "csrf_token": mine}, headers=HTML
        )
        assert created.status_code == 201
    # The sign-in form has its own token, tied to a cookie.
    async with client(app) as http:
        for token in (None, "forged"):
            data = {"api_key": keys["admin"]} | ({"csrf_token": token} if token else {})
            refused = await http.post("/admin/login", data=data, headers=HTML)
            assert refused.status_code == 403
            assert SESSION_COOKIE not in refused.cookies


async def test_sign_out_expiry_and_revocation_end_a_session(app, keys):
    store = app.state.services.store
    async with client(app) as http:
        token = await session_of(http, keys["admin"])
        out = await http.post(
            "/admin/logout", data={"csrf_token": await csrf_of(http)}, headers=HTML
        )
        assert out.headers["location"] == "/admin/login?signed_out=true"
        assert find_session(store, token) is None  # gone on the server, not just the cookie
        http.cookies.set(SESSION_COOKIE, token, domain="console.test", path="/admin")
        assert (await http.get("/admin/", headers=HTML)).status_code == 303

        token = await session_of(http, keys["admin"])
        with store.session() as session, session.begin():
            past = datetime.now(UTC) - timedelta(seconds=1)
            session.execute(update(AdminSession).values(expires_at=past))
        assert (await http.get("/admin/", headers=HTML)).status_code == 303

        await sign_in(http, keys["admin"])
        assert (await http.get("/admin/", headers=HTML)).status_code == 200
        session_key = find_session(store, http.cookies[SESSION_COOKIE]).key_id
        revoke_api_key(store, session_key)
        assert (await http.get("/admin/", headers=HTML)).status_code == 303


async def test_every_console_page_has_a_csp_naming_no_other_host(app, keys):
    async with client(app) as http:
        pages = [await http.get("/admin/login", headers=HTML)]
        await sign_in(http, keys["admin"])
        for method, path in admin_routes(app):
            if method == "GET" and "/x" not in path:
                pages.append(await http.get(path, headers=HTML, follow_redirects=True))
        pages += [await http.get(f"/admin/static/{n}") for n in ("admin.css", "admin.js")]
    for response in pages:
        assert response.status_code == 200, response.url
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        for name, sources in directives.items():
            for source in sources.split():
                # Only keywords: no host, no scheme (https:, data:), no wildcard, no inline.
                assert source in ("'self'", "'none'"), (response.url, name, source)
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] in ("no-store", "no-cache")
    html = [r for r in pages if r.headers["content-type"].startswith("text/html")]
    assert len(html) >= 6
    for response in html:
        # Nothing in the markup reaches another host either.
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', response.text), response.url


async def test_a_user_named_by_the_proxy_header_is_trusted_only_from_the_proxy(settings):
    header = {"X-Forwarded-User": "alice@example.gov.uk", **HTML}
    trusting = create_app(
        settings.model_copy(
            update={
                "admin_identity_header": "X-Forwarded-User",
                "admin_identity_proxies": ["127.0.0.1"],  # httpx's ASGI client address
            }
        )
    )
    store = trusting.state.services.store
    async with client(trusting) as http:
        signed = await http.get("/admin/login", headers=header)
        assert signed.status_code == 303
        assert signed.headers["location"] == "/admin/"
        found = find_session(store, http.cookies[SESSION_COOKIE])
        assert (found.key_id, found.user) == (None, "alice@example.gov.uk")
        page = await http.get("/admin/keys", headers=header)
        assert page.status_code == 200
        assert "Signed in as <strong>alice@example.gov.uk</strong>" in page.text
        token = CSRF.search(page.text).group(1)
        created = await http.post(
            "/admin/keys", data={"name": "n", "scope": "ask", "csrf_token": token}, headers=header
        )
        assert created.status_code == 201
        # The session holds only while the proxy names the same person.
        assert (await http.get("/admin/keys", headers=HTML)).status_code == 303
        other = {**header, "X-Forwarded-User": "mallory"}
        assert (await http.get("/admin/keys", headers=other)).status_code == 303
    for untrusted in (
        settings.model_copy(
            update={"admin_identity_header": "X-Forwarded-User", "admin_identity_proxies": []}
        ),
        settings,  # off by default
    ):
        async with client(create_app(untrusted)) as http:
            form = await http.get("/admin/login", headers=header)
            assert form.status_code == 200
            assert SESSION_COOKIE not in form.cookies
