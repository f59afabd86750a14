"""Widget fixtures: real uvicorn servers on 127.0.0.1 and headless Debian Chromium (Playwright)."""

from __future__ import annotations

import pytest
from support.browser import LiveServer, browser, free_port  # noqa: F401 (fixture)


@pytest.fixture(scope="session")
def live_server():
    """``with live_server(app[, port]) as server:`` serves ``app`` at ``server.url``."""
    return LiveServer


@pytest.fixture(scope="module")
def intranets() -> tuple[str, str]:
    """Two intranet origins on loopback (ports reserved now, served by the tests that need
    them): the first is the one the guide is configured to allow, the second is not."""
    return f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
