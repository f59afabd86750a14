"""Browser tests' shared parts: real uvicorn servers on 127.0.0.1 and headless Debian Chromium
driven by Playwright (never Playwright's own browser download)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.servers import LiveServer
from support.services import free_port

__all__ = ["LiveServer", "free_port"]

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


def launch_chromium(playwright):
    """Debian's Chromium, headless, by executable path."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


# WCAG 2.2 AA (target-size, off by axe's defaults, included) and axe's best practices; every
# result type, so a test can see what passed and what axe could not decide.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    }
}


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never Playwright's own download)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
