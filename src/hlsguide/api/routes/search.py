"""``POST /v1/search``: hybrid passage search."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from hlsguide.bootstrap.deps import RetrievalDep
from hlsguide.retrieval.search import SearchMode
from hlsguide.types import Hit, SearchFilters

router = APIRouter(prefix="/v1", tags=["search"])


class SearchRequest(BaseModel):
    """A search over the guide's passages."""

    query: str = Field(min_length=1, max_length=2000, examples=["How do learning cycles work?"])
    k: int = Field(5, ge=1, le=50)
    filters: SearchFilters = Field(default_factory=SearchFilters)
    mode: SearchMode = SearchMode.HYBRID

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must contain text")
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
            raise ValueError("query contains control characters")
        return value


class SearchResponse(BaseModel):
    """Passages, best first, with provenance and per-retriever ranks."""

    query: str
    mode: SearchMode
    index_version: str
    hits: list[Hit]


@router.post("/search")
def search(body: SearchRequest, retrieval: RetrievalDep) -> SearchResponse:
    """Search the index: dense and BM25 rankings fused (RRF), filtered, at most N per document."""
    searcher = retrieval.searcher()
    hits = searcher.search(body.query, body.k, body.filters, body.mode)
    return SearchResponse(
        query=body.query, mode=body.mode, index_version=searcher.snapshot.generation, hits=hits
    )
