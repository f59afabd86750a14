"""The hybrid search as a langchain ``BaseRetriever``, for chains that expect one."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from hlsguide.retrieval.search import SearchMode
from hlsguide.retrieval.service import RetrievalService
from hlsguide.types import SearchFilters


class HybridRetriever(BaseRetriever):
    """Returns passages as Documents whose metadata carries full provenance and ranks."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    service: RetrievalService
    k: int = 5
    filters: SearchFilters | None = None
    mode: SearchMode = SearchMode.HYBRID

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.service.searcher().search(query, self.k, self.filters, self.mode)
        return [
            Document(
                page_content=hit.chunk.text,
                id=hit.chunk.id,
                metadata={
                    **hit.chunk.model_dump(exclude={"text"}),
                    "score": hit.score,
                    "dense_rank": hit.dense_rank,
                    "lexical_rank": hit.lexical_rank,
                },
            )
            for hit in hits
        ]
