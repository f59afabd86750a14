"""The request id of the work in progress; asyncio tasks and worker threads inherit it."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("hlsguide_request_id", default=None)
# The channel a request came through (api, widget, slack, ...), for answers logged within it.
current_channel: ContextVar[str] = ContextVar("hlsguide_channel", default="api")
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _stamp_request_id(factory):
    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.request_id = request_id.get()
        return record

    return make


# Every log record is stamped when it is made, in the context of the work that made it, so a
# line formatted later (by a queue handler, or a test's capture) still names its request.
logging.setLogRecordFactory(_stamp_request_id(logging.getLogRecordFactory()))


def accept_or_new(candidate: str | None) -> str:
    """Keep a caller's well-formed X-Request-ID (so one id spans systems), else mint one."""
    return candidate if candidate and _VALID.match(candidate) else uuid.uuid4().hex
