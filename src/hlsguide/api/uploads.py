"""What the upload routes (``/v1/documents`` and ``/v1/review``) share: the capped read, the
refusals as HTTP errors, and the responses they document."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException, UploadFile

from hlsguide.documents.service import UploadError
from hlsguide.retrieval.index import IndexLockedError

UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "Too large, or too many pages"},
    415: {"description": "Content of an unsupported type"},
    422: {"description": "Empty, unparseable, or too slow to parse"},
}


async def read_capped(upload: UploadFile, limit: int) -> bytes:
    """Read at most ``limit`` bytes; a larger upload is refused without reading it all."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"the file is larger than the {limit}-byte limit")
    return data


@contextmanager
def refusals_as_http() -> Iterator[None]:
    """A refused upload with the status that fits it; a busy index as 409."""
    try:
        yield
    except UploadError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except IndexLockedError as exc:
        raise HTTPException(409, f"the index is busy: {exc}") from exc
