"""The statuses the HTTP surfaces answer besides success, described once for the OpenAPI schema.

A route lists what it can answer, ``responses=responses(404, 422, 503)``; its docstring says
what each means there. The API and the channels share the table (it sits below both).
"""

from __future__ import annotations

from typing import Any

Responses = dict[int | str, dict[str, Any]]

DESCRIPTIONS: dict[int, str] = {
    400: "Not a request this route takes: an unsupported parameter, or not a Bot Framework "
    "activity",
    401: "Missing or invalid credentials: API key, Slack signature (or a stale timestamp), "
    "Bot Framework token",
    403: "Not allowed: a scope the API key lacks (index=true needs admin), or a tenant not allowed",
    404: "Unknown id (conversation, answer, document, job or model), or another caller's",
    409: "Not now: another index run is in progress, an id is taken, or the job is not done",
    411: "No Content-Length",
    413: "Over the route's size limit (body, file, pages or activity)",
    415: "Content of an unsupported type",
    422: "Invalid input, each problem listed: an empty, overlong, binary or control-character "
    "question; too many questions; an empty, unparseable or too slow file",
    429: "Over a rate limit, or too many FAQ jobs queued or running (Retry-After)",
    503: "The index is still being built, or every answer slot is busy",
}


def responses(*statuses: int) -> Responses:
    """The OpenAPI ``responses`` entries for ``statuses``, from the one table."""
    return {status: {"description": DESCRIPTIONS[status]} for status in statuses}
