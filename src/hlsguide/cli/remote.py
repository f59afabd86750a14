"""``--server URL``: ask a running hlsguide server over HTTP instead of loading the model here."""

from __future__ import annotations

import json
from typing import Any

from hlsguide.cli.common import fail

SERVER_HELP = "Use a running server (e.g. http://127.0.0.1:8000); default HLSGUIDE_SERVER_URL."
# An answer may queue behind others on a busy server; the server's own timeout comes first.
TIMEOUT_SECONDS = 120.0


def server_and_key(server: str | None) -> tuple[str | None, str | None]:
    """The server to use (``--server``, else HLSGUIDE_SERVER_URL) and the API key to send
    (HLSGUIDE_API_KEY); (None, None) means answer in this process."""
    from hlsguide.config import Settings

    settings = Settings()
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return server or settings.server_url, key


def post(server: str, path: str, body: dict[str, Any], api_key: str | None) -> Any:
    """POST ``body`` as JSON; the decoded reply, or exit 2 with the server's own reason.
    The standard library's client: importing httpx would cost more than the request."""
    import urllib.error
    import urllib.request

    if not server.startswith(("http://", "https://")):  # urllib would also open file: URLs
        fail(f"the server must be an http:// or https:// URL, not '{server}'")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(
        server.rstrip("/") + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        fail(f"the server answered {exc.code}: {_reason(exc.read(), exc.reason)}")
    except (urllib.error.URLError, OSError) as exc:
        fail(f"cannot reach the server at {server}: {getattr(exc, 'reason', exc)}")


def _reason(raw: bytes, phrase: str) -> str:
    text = raw.decode("utf-8", "replace")
    try:
        detail = json.loads(text).get("detail", text)
    except (ValueError, AttributeError):
        return text.strip() or phrase
    if isinstance(detail, list):  # FastAPI's validation errors: say what was wrong
        return "; ".join(str(item.get("msg", item)) for item in detail)
    return str(detail)
