"""Hybrid search: dense (Chroma) and lexical (BM25) rankings fused, filtered and diversified."""

from __future__ import annotations

import re

import numpy as np

from hlsguide.config import Settings
from hlsguide.retrieval.embeddings import Embedder, embed_query
from hlsguide.retrieval.fusion import cap_per_group, reciprocal_rank_fusion
from hlsguide.retrieval.index import Snapshot
from hlsguide.retrieval.modes import SearchMode
from hlsguide.types import Chunk, Hit, SearchFilters, Unit


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", text.lower()))


def subject_of(title: str) -> tuple[str, ...]:
    """The words naming what a document is about: its title before any dash, bracket or
    colon, without a leading article ("Buurtzorg (Netherlands) - ..." -> ("buurtzorg",))."""
    head = re.split(r" - | \(|: ", title, maxsplit=1)[0]
    words = _words(head)
    return words[1:] if words[:1] == ("the",) else words


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def named_subjects(query: str, subjects: dict[str, tuple[str, ...]]) -> set[str]:
    """Ids whose subject phrase the query contains ("What is Buurtzorg?" names the Buurtzorg
    case); a subject inside a longer named one ("learning" in "learning loops") does not
    count, so the most specific name wins."""
    words = _words(query)
    named = {d: p for d, p in subjects.items() if _contains(words, p)}
    return {
        d
        for d, p in named.items()
        if not any(len(o) > len(p) and _contains(o, p) for o in named.values())
    }


class Searcher:
    """Searches one index snapshot."""

    def __init__(self, snapshot: Snapshot, embedder: Embedder, settings: Settings) -> None:
        self.snapshot = snapshot
        self.embedder = embedder
        self.settings = settings
        self._by_id = {chunk.id: chunk for chunk in snapshot.chunks}
        self._document_of = {chunk.id: chunk.document_id for chunk in snapshot.chunks}
        self._chunks_of: dict[str, list[Chunk]] = {}
        for chunk in snapshot.chunks:
            self._chunks_of.setdefault(chunk.document_id, []).append(chunk)
        self._subjects = {
            doc_id: subject_of(doc.get("title", "")) for doc_id, doc in snapshot.documents.items()
        }

    def named_documents(self, query: str) -> set[str]:
        """Documents whose subject the query names (see ``named_subjects``)."""
        return named_subjects(query, self._subjects)

    def chunk(self, chunk_id: str) -> Chunk:
        """The chunk with id ``chunk_id`` (KeyError when the generation has none)."""
        return self._by_id[chunk_id]

    def chunk_at(self, document_id: str, offset: int) -> Chunk | None:
        """The first chunk of ``document_id`` whose span holds character ``offset``."""
        for chunk in self._chunks_of.get(document_id, ()):
            if chunk.start <= offset < chunk.end:
                return chunk
        return None

    def units(
        self, kinds: list[str] | None = None, document_ids: list[str] | None = None
    ) -> list[Unit]:
        """Units of this generation, filtered by kind and document (all when None)."""
        return self.snapshot.units.select(kinds, document_ids)

    def nearest_units(
        self,
        vector: list[float] | np.ndarray,
        kinds: list[str] | None = None,
        k: int = 10,
        by: str = "text",
        document_ids: list[str] | None = None,
    ) -> list[tuple[Unit, float]]:
        """(unit, cosine similarity) nearest to ``vector``, best first; ``by="prompt"``
        compares with the authored question or misreading (no embedding here: unit vectors
        were computed at indexing)."""
        return self.snapshot.units.nearest(vector, kinds, k, by, document_ids)

    def unit_ranking(
        self, vector: list[float] | np.ndarray, k: int, filters: SearchFilters | None
    ) -> list[str]:
        """Chunk ids ranked by their best authored question or misreading against the query:
        a commissioner's wording finds the passage that answers it."""
        ranked: list[str] = []
        matches = filters.matcher() if filters is not None else None
        for unit, _ in self.nearest_units(vector, k=k * 2, by="prompt"):
            chunk = self._by_id.get(unit.chunk_id)
            if chunk is None or (matches is not None and not matches(chunk)):
                continue
            if unit.chunk_id not in ranked:
                ranked.append(unit.chunk_id)
        return ranked[:k]

    def _allowed(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        matches = filters.matcher()
        return np.fromiter(
            (matches(c) for c in self.snapshot.chunks), dtype=bool, count=len(self.snapshot.chunks)
        )

    def dense_ranking(
        self,
        query: str,
        k: int,
        filters: SearchFilters | None,
        vector: list[float] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) nearest to the query embedding, best first."""
        vector = vector if vector is not None else embed_query(self.embedder, query)
        return [(cid, 1.0 - dist) for cid, dist in self.snapshot.vectors.query(vector, k, filters)]

    def lexical_ranking(self, query: str, k: int, filters: SearchFilters | None) -> list[str]:
        """Chunk ids with the best BM25 scores."""
        hits = self.snapshot.lexical.top(query, k, self._allowed(filters))
        return [self.snapshot.chunks[position].id for position, _ in hits]

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        mode: SearchMode = SearchMode.HYBRID,
        vector: list[float] | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``, at most N per document, with provenance.
        Pass the query's ``vector`` when it is already embedded (it is then not embedded again).
        Hybrid fuses three rankings: dense, BM25 and authored questions (``unit_ranking``)."""
        k = k or self.settings.retrieval_k
        fetch = max(self.settings.retrieval_fetch_k, k)
        if mode != SearchMode.LEXICAL and vector is None:
            vector = embed_query(self.embedder, query)
        similarity = (
            dict(self.dense_ranking(query, fetch, filters, vector))
            if mode != SearchMode.LEXICAL
            else {}
        )
        dense = list(similarity)
        lexical = self.lexical_ranking(query, fetch, filters) if mode != SearchMode.DENSE else []
        authored = (
            self.unit_ranking(vector, fetch, filters)
            if mode == SearchMode.HYBRID and self.settings.unit_weight > 0 and vector is not None
            else []
        )
        rankings = (
            [
                (dense, self.settings.dense_weight),
                (lexical, self.settings.lexical_weight),
                (authored, self.settings.unit_weight),
            ]
            if mode == SearchMode.HYBRID
            else [(dense or lexical, 1.0)]
        )
        if mode == SearchMode.HYBRID and self.settings.subject_weight > 0:
            # A third ranking: the passages of documents the query names, in fused order.
            named = self.named_documents(query)
            first = reciprocal_rank_fusion(rankings, k=self.settings.rrf_k)
            subject = [cid for cid, _ in first if self._document_of[cid] in named]
            rankings.append((subject, self.settings.subject_weight))
        fused = reciprocal_rank_fusion(rankings, k=self.settings.rrf_k)
        scores = dict(fused)
        order = cap_per_group(
            (chunk_id for chunk_id, _ in fused),
            self._document_of,
            self.settings.max_chunks_per_document,
        )[:k]
        dense_rank = {chunk_id: r for r, chunk_id in enumerate(dense, start=1)}
        lexical_rank = {chunk_id: r for r, chunk_id in enumerate(lexical, start=1)}
        return [
            Hit(
                chunk=self._by_id[chunk_id],
                score=scores[chunk_id],
                dense_rank=dense_rank.get(chunk_id),
                lexical_rank=lexical_rank.get(chunk_id),
                dense_similarity=similarity.get(chunk_id),
            )
            for chunk_id in order
        ]
