"""``/v1/documents``: upload, list and delete user documents (admin scope only)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hlsguide.bootstrap.deps import DocumentsDep
from hlsguide.documents.service import UploadError
from hlsguide.retrieval.index import IndexLockedError

router = APIRouter(prefix="/v1/documents", tags=["documents"])


class DocumentOut(BaseModel):
    id: str
    title: str
    kind: str
    type: str
    chunks: int
    warnings: list[str]


class DocumentListItem(BaseModel):
    id: str
    title: str
    chunks: int
    file: str


async def _read_capped(upload: UploadFile, limit: int) -> bytes:
    """Read at most ``limit`` bytes; a larger upload is refused without reading it all."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"the file is larger than the {limit}-byte limit")
    return data


def _refuse(exc: Exception) -> HTTPException:
    if isinstance(exc, UploadError):
        return HTTPException(exc.status, str(exc))
    return HTTPException(409, f"the index is busy: {exc}")


@router.post(
    "",
    status_code=201,
    responses={
        409: {"description": "Id taken, or another index run is in progress"},
        413: {"description": "Too large, or too many pages"},
        415: {"description": "Content of an unsupported type"},
        422: {"description": "Empty, unparseable, or too slow to parse"},
    },
)
async def upload_document(
    service: DocumentsDep, file: UploadFile, replace: bool = False
) -> DocumentOut:
    """Upload a PDF, DOCX, HTML, Markdown or text file. The type is sniffed from the content;
    hidden text is stripped and listed in ``warnings``. A refused upload changes nothing."""
    data = await _read_capped(file, service.settings.max_upload_bytes)
    try:
        stored = await run_in_threadpool(service.upload, data, file.filename or "upload", replace)
    except (UploadError, IndexLockedError) as exc:
        raise _refuse(exc) from exc
    return DocumentOut(**stored.__dict__)


@router.get("")
async def list_documents(service: DocumentsDep) -> list[DocumentListItem]:
    """Uploaded documents in the live index."""
    return [DocumentListItem(**d) for d in await run_in_threadpool(service.list)]


@router.delete("/{document_id}", status_code=204, responses={403: {}, 404: {}, 409: {}})
async def delete_document(service: DocumentsDep, document_id: str) -> Response:
    """Remove an uploaded document from the folder and the index."""
    try:
        await run_in_threadpool(service.delete, document_id)
    except (UploadError, IndexLockedError) as exc:
        raise _refuse(exc) from exc
    return Response(status_code=204)
