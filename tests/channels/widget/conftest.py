"""Widget fixtures: real uvicorn servers on 127.0.0.1 and headless Debian Chromium (Playwright)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.servers import LiveServer
from support.services import free_port

CHROMIUM = Path("/usr/bin/chromium")
# The machine's network is closed: without these flags Chromium keeps dialling Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    """Skip locally when Chromium or Playwright is missing; under CI=true, fail instead."""
    reason = None
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        reason = f"{exc.name} is not installed: pip install -e '.[dev]'"
    if reason is None and not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM}: run `make browser-deps`"
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests need Chromium and Playwright under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never Playwright's own download)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server():
    """``with live_server(app[, port]) as server:`` serves ``app`` at ``server.url``."""
    return LiveServer


@pytest.fixture(scope="module")
def intranets() -> tuple[str, str]:
    """Two intranet origins on loopback (ports reserved now, served by the tests that need
    them): the first is the one the guide is configured to allow, the second is not."""
    return f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
