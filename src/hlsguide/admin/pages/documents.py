"""``/admin/documents``: uploaded documents (with what hygiene removed), upload, delete with
confirmation; the corpus documents read-only. Uploads go through the documents service, so
they get the API's checks (type sniffed from content, size, pages, parse time)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from hlsguide.admin.auth import FormDep, SignedInDep
from hlsguide.admin.pages.home import index_state
from hlsguide.admin.security import HEADERS
from hlsguide.admin.templating import page
from hlsguide.bootstrap.deps import DocumentsDep, get_services
from hlsguide.documents.service import DocumentService, UploadError
from hlsguide.retrieval.index import IndexLockedError
from hlsguide.retrieval.service import IndexNotReadyError

router = APIRouter(prefix="/admin/documents")


def _service(request: Request) -> DocumentService:
    return get_services(request).documents


def _listing(request: Request) -> dict:
    """Uploaded and corpus documents of the live index, and the index's state."""
    state = index_state(request)
    if not state["ready"]:
        return {"index": state, "uploaded": [], "corpus": []}
    uploaded = _service(request).list()
    mine = {d["id"] for d in uploaded}
    documents = get_services(request).retrieval.snapshot().documents
    corpus = [
        {"id": doc_id, "title": doc["title"], "kind": doc["kind"], "chunks": len(doc["chunk_ids"])}
        for doc_id, doc in sorted(documents.items(), key=lambda item: item[1]["title"].lower())
        if doc_id not in mine
    ]
    return {"index": state, "uploaded": uploaded, "corpus": corpus}


async def _documents_page(request: Request, status_code: int = 200, **context):
    listing = await run_in_threadpool(_listing, request)
    limit = get_services(request).settings.max_upload_bytes
    return page(
        request,
        "documents.html",
        status_code,
        max_upload_mb=round(limit / 1e6, 1),
        **listing,
        **context,
    )


@router.get("", include_in_schema=False)
async def documents(
    request: Request, _: SignedInDep, uploaded: str | None = None, deleted: str | None = None
):
    """Every document, uploads first."""
    return await _documents_page(request, just_uploaded=uploaded, just_deleted=deleted)


@router.post("", include_in_schema=False)
async def upload(
    request: Request,
    _: FormDep,
    service: DocumentsDep,
    file: UploadFile,
    replace: Annotated[bool, Form()] = False,
):
    """Upload one document; refused uploads change nothing and say why."""
    limit = service.settings.max_upload_bytes
    data = await file.read(limit + 1)
    try:
        if len(data) > limit:
            raise UploadError(413, f"the file is larger than the {limit}-byte limit")
        stored = await run_in_threadpool(service.upload, data, file.filename or "upload", replace)
    except UploadError as exc:
        return await _documents_page(request, exc.status, upload_error=str(exc))
    except IndexLockedError as exc:
        return await _documents_page(request, 409, upload_error=f"the index is busy: {exc}")
    return RedirectResponse(
        f"/admin/documents?uploaded={stored.id}", status_code=303, headers=HEADERS
    )


def _find_upload(request: Request, document_id: str) -> dict | None:
    try:
        return next((d for d in _service(request).list() if d["id"] == document_id), None)
    except IndexNotReadyError:
        return None


@router.get("/{document_id}/delete", include_in_schema=False)
async def confirm_delete(request: Request, _: SignedInDep, document_id: str):
    """Ask before removing a document."""
    document = await run_in_threadpool(_find_upload, request, document_id)
    if document is None:
        message = f"There is no uploaded document with id {document_id}."
        return page(
            request,
            "error.html",
            404,
            heading="Document not found",
            message=message,
            back="/admin/documents",
        )
    return page(request, "document_delete.html", document=document)


@router.post("/{document_id}/delete", include_in_schema=False)
async def delete(request: Request, _: FormDep, service: DocumentsDep, document_id: str):
    """Remove the upload from the folder and the index."""
    try:
        await run_in_threadpool(service.delete, document_id)
    except UploadError as exc:
        return page(
            request,
            "error.html",
            exc.status,
            heading="The document was not removed",
            message=str(exc),
            back="/admin/documents",
        )
    except IndexLockedError as exc:
        return page(
            request,
            "error.html",
            409,
            heading="The document was not removed",
            message=f"the index is busy: {exc}",
            back="/admin/documents",
        )
    return RedirectResponse(
        f"/admin/documents?deleted={document_id}", status_code=303, headers=HEADERS
    )
