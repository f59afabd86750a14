"""``/v1/documents``: upload, list and delete user documents (admin scope only)."""

from __future__ import annotations

from fastapi import APIRouter, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hlsguide.api.uploads import UPLOAD_RESPONSES, read_capped, refusals_as_http
from hlsguide.bootstrap.deps import DocumentsDep
from hlsguide.documents.service import StoredDocument

router = APIRouter(prefix="/v1/documents", tags=["documents"])


class DocumentListItem(BaseModel):
    id: str
    title: str
    chunks: int
    file: str


@router.post(
    "",
    status_code=201,
    responses={
        409: {"description": "Id taken, or another index run is in progress"},
        **UPLOAD_RESPONSES,
    },
)
async def upload_document(
    service: DocumentsDep, file: UploadFile, replace: bool = False
) -> StoredDocument:
    """Upload a PDF, DOCX, HTML, Markdown or text file. The type is sniffed from the content;
    hidden text is stripped and listed in ``warnings``. A refused upload changes nothing."""
    data = await read_capped(file, service.settings.max_upload_bytes)
    with refusals_as_http():
        return await run_in_threadpool(service.upload, data, file.filename or "upload", replace)


@router.get("")
async def list_documents(service: DocumentsDep) -> list[DocumentListItem]:
    """Uploaded documents in the live index."""
    return [DocumentListItem(**d) for d in await run_in_threadpool(service.list)]


@router.delete("/{document_id}", status_code=204, responses={403: {}, 404: {}, 409: {}})
async def delete_document(service: DocumentsDep, document_id: str) -> Response:
    """Remove an uploaded document from the folder and the index."""
    with refusals_as_http():
        await run_in_threadpool(service.delete, document_id)
    return Response(status_code=204)
