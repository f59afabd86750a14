"""``GET /v1/sources`` and ``GET /v1/sources/{id}``: what the guide knows."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from hlsguide.admission.responses import responses
from hlsguide.bootstrap.deps import BibliographyDep, RetrievalDep
from hlsguide.types import Publication

router = APIRouter(prefix="/v1", tags=["sources"])


class SourceSummary(BaseModel):
    id: str
    title: str
    kind: str
    summary: str
    topics: list[str]
    principles: list[str]


class SourceDetail(SourceSummary):
    source_path: str
    chunks: int
    publications: list[Publication]


def _summary(doc_id: str, doc: dict) -> dict:
    return {
        "id": doc_id,
        "title": doc["title"],
        "kind": doc["kind"],
        "summary": doc.get("summary", ""),
        "topics": doc.get("topics", []),
        "principles": doc.get("principles", []),
    }


@router.get("/sources")
def list_sources(retrieval: RetrievalDep, kind: str | None = None) -> list[SourceSummary]:
    """Every indexed document (optionally of one kind)."""
    documents = retrieval.snapshot().documents
    return [
        SourceSummary(**_summary(doc_id, doc))
        for doc_id, doc in documents.items()
        if kind is None or doc["kind"] == kind
    ]


@router.get("/sources/{document_id}", responses=responses(404))
def get_source(
    document_id: str, retrieval: RetrievalDep, bibliography: BibliographyDep
) -> SourceDetail:
    """One document: metadata, where it came from, and the publications it rests on."""
    doc = retrieval.snapshot().documents.get(document_id)
    if doc is None:
        raise HTTPException(404, f"no source with id '{document_id}'")
    publications = [p for key in doc.get("references", []) if (p := bibliography.publication(key))]
    return SourceDetail(
        **_summary(document_id, doc),
        source_path=doc["source_path"],
        chunks=len(doc["chunk_ids"]),
        publications=publications,
    )
