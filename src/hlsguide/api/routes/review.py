"""``POST /v1/review``: a specification draft read through the complexity lens (ask scope)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, UploadFile
from starlette.concurrency import run_in_threadpool

from hlsguide.admission.callers import ASK, Caller
from hlsguide.api.uploads import UPLOAD_RESPONSES, read_capped, refusals_as_http
from hlsguide.bootstrap.deps import GateDep, ReviewDep
from hlsguide.review.models import Review

router = APIRouter(prefix="/v1", tags=["review"])


@router.post(
    "/review",
    responses={
        403: {"description": "index=true without an admin key"},
        409: {"description": "index=true while another index run is in progress"},
        **UPLOAD_RESPONSES,
        503: {"description": "No index yet, or the service is at capacity"},
    },
)
async def review_draft(
    reviewer: ReviewDep,
    gate: GateDep,
    file: UploadFile,
    index: bool = False,
    caller: Caller = ASK,
) -> Review:
    """Review a specification, contract or grant draft (PDF, DOCX, HTML, Markdown or text,
    sniffed from its content, with the limits of ``/v1/documents``). Returns the flagged
    paragraphs with the framings found, the words that raised them, and cited advice.
    The draft is read in memory and neither stored nor indexed, unless ``index=true``
    (admin key) adds it to the index as an uploaded document."""
    if index and "admin" not in caller.scopes:
        raise HTTPException(403, "index=true stores the draft and needs an API key with 'admin'")
    data = await read_capped(file, reviewer.settings.max_upload_bytes)
    filename = file.filename or "draft"
    with refusals_as_http():
        async with gate.admit():
            document = await run_in_threadpool(reviewer.read, data, filename)
            result = await run_in_threadpool(reviewer.review, document)
        if index:
            result.stored_as = await run_in_threadpool(reviewer.store, data, filename)
    return result
