"""Vector stores: the seam is a small Protocol; Chroma (embedded or server) implements it."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from hlsguide.types import Chunk, SearchFilters

COLLECTION_PREFIX = "hlsguide-"


class VectorStore(Protocol):
    """Nearest-neighbour search over chunk vectors, one generation of the index."""

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        """Store vectors for ``chunks`` (ids are chunk ids)."""
        ...

    def embeddings(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors by chunk id (used to carry unchanged documents into a new generation)."""
        ...

    def query(
        self, embedding: Sequence[float], k: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, cosine distance) pairs, nearest first."""
        ...

    def count(self) -> int:
        """Number of stored vectors."""
        ...

    def drop(self) -> None:
        """Delete this generation's vectors for good."""
        ...


class VectorStoreFactory(Protocol):
    """Opens (or creates) the vector store of one index generation."""

    def __call__(self, generation: str, generation_dir: Path) -> VectorStore: ...


def chroma_stores(chroma_url: str | None, ef_search: int) -> VectorStoreFactory:
    """Chroma: embedded under each generation's directory, or one collection per generation on
    the server at ``chroma_url``; each HNSW query searches ``ef_search`` candidates."""

    def open_store(generation: str, generation_dir: Path) -> VectorStore:
        return ChromaVectorStore.open(generation, generation_dir, chroma_url, ef_search)

    return open_store


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """Chroma metadata: scalar fields, and one boolean flag per topic and principle for filters."""
    meta: dict[str, Any] = {"document_id": chunk.document_id, "kind": chunk.kind}
    meta.update({f"topic_{t}": True for t in chunk.topics})
    meta.update({f"principle_{p}": True for p in chunk.principles})
    return meta


def chroma_where(filters: SearchFilters | None) -> dict[str, Any] | None:
    """Translate filters into a Chroma ``where`` clause."""
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.kinds:
        clauses.append({"kind": {"$in": filters.kinds}})
    if filters.document_ids:
        clauses.append({"document_id": {"$in": filters.document_ids}})
    for prefix, values in (("topic_", filters.topics), ("principle_", filters.principles)):
        if values:
            flags = [{f"{prefix}{v}": True} for v in values]
            clauses.append(flags[0] if len(flags) == 1 else {"$or": flags})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaVectorStore:
    """One index generation in Chroma: its own directory (embedded) or collection (server)."""

    def __init__(self, client: Any, name: str, path: Path | None, ef_search: int) -> None:
        self._client = client
        self._name = name
        self._path = path
        hnsw = {"space": "cosine", "ef_search": ef_search}
        self._collection = client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": hnsw}
        )
        # A collection created before (or with another setting) keeps its own ef_search, and
        # Chroma's default (100) misses true neighbours of about one query in sixteen on the
        # corpus, differently in each process: the same question then gets other passages.
        if (self._collection.configuration_json.get("hnsw") or {}).get("ef_search") != ef_search:
            self._collection.modify(configuration={"hnsw": {"ef_search": ef_search}})

    @classmethod
    def open(
        cls, generation: str, generation_dir: Path, chroma_url: str | None, ef_search: int
    ) -> ChromaVectorStore:
        """Open (or create) the store of ``generation``: under its directory, or on a server."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if chroma_url:
            url = urlparse(chroma_url)
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            return cls(client, f"{COLLECTION_PREFIX}{generation}", None, ef_search)
        path = generation_dir / "chroma"
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        return cls(client, f"{COLLECTION_PREFIX}{generation}", path, ef_search)

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        batch = 2000  # below Chroma's maximum batch size
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            self._collection.add(
                ids=[c.id for c in part],
                embeddings=[list(e) for e in embeddings[i : i + batch]],
                metadatas=[chunk_metadata(c) for c in part],
            )

    def embeddings(self, ids: Sequence[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for i in range(0, len(ids), 2000):
            result = self._collection.get(ids=list(ids[i : i + 2000]), include=["embeddings"])
            for chunk_id, vector in zip(result["ids"], result["embeddings"], strict=True):
                found[chunk_id] = list(map(float, vector))
        return found

    def query(
        self, embedding: Sequence[float], k: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        size = self.count()
        if size == 0:
            return []
        result = self._collection.query(
            query_embeddings=[list(embedding)],
            n_results=min(k, size),
            where=chroma_where(filters),
            include=["distances"],
        )
        return list(zip(result["ids"][0], result["distances"][0], strict=True))

    def count(self) -> int:
        return self._collection.count()

    def drop(self) -> None:
        self._client.delete_collection(self._name)
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
