"""``--server URL``: ask a running hlsguide server over HTTP instead of loading the model here."""

from __future__ import annotations

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
    """POST ``body`` as JSON; the decoded reply, or exit 2 with the server's own reason."""
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = server.rstrip("/") + path
    try:
        response = httpx.post(url, json=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the server at {server}: {exc}")
    if response.is_error:
        fail(f"the server answered {response.status_code}: {_reason(response)}")
    return response.json()


def _reason(response: Any) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text.strip() or response.reason_phrase
    if isinstance(detail, list):  # FastAPI's validation errors: say what was wrong
        return "; ".join(str(item.get("msg", item)) for item in detail)
    return str(detail)
