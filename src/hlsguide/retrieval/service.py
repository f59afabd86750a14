"""The retrieval service: one embedder, the live snapshot (reloaded after a re-index), builds."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path

from hlsguide.config import Settings
from hlsguide.corpus.references import Bibliography
from hlsguide.retrieval.embeddings import Embedder, SentenceTransformerEmbedder
from hlsguide.retrieval.index import (
    IndexBuilder,
    IndexReport,
    Progress,
    Snapshot,
    current_generation,
)
from hlsguide.retrieval.search import Searcher
from hlsguide.retrieval.vector_store import VectorStoreFactory, chroma_stores
from hlsguide.types import SourceDocument


class IndexNotReadyError(RuntimeError):
    """No index has been built yet."""


class RetrievalService:
    """Shared by the API, the CLI and the answer layer."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        stores: VectorStoreFactory | None = None,
    ) -> None:
        """``embedder`` and ``stores`` (how vectors are kept) default to what the settings
        name: the bundled model, Chroma embedded or on a server."""
        self.settings = settings
        self._embedder = embedder
        self._stores = stores
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()

    @cached_property
    def embedder(self) -> Embedder:
        """The configured embedder, loaded on first use (loading takes seconds)."""
        return self._embedder or SentenceTransformerEmbedder(
            self.settings.embedding_model, self.settings.embedding_batch_size
        )

    @cached_property
    def stores(self) -> VectorStoreFactory:
        """Where each generation's vectors are kept: the factory given, else Chroma as the
        settings say (embedded, or on a server)."""
        return self._stores or chroma_stores(self.settings.chroma_url, self.settings.hnsw_ef_search)

    def searcher(self) -> Searcher:
        """A searcher over the live generation; switches when another run has made a new one."""
        live = current_generation(self.settings.index_dir)
        if live is None:
            raise IndexNotReadyError("the index has not been built yet; run 'hlsguide index'")
        with self._lock:
            if self._searcher is None or self._searcher.snapshot.generation != live:
                snapshot = Snapshot.load(self.settings, live, self.stores)
                assert snapshot is not None
                self._searcher = Searcher(snapshot, self.embedder, self.settings)
            return self._searcher

    def snapshot(self) -> Snapshot:
        """The live generation: its chunks, documents and version."""
        return self.searcher().snapshot

    def is_ready(self) -> bool:
        """True when a built index exists."""
        return current_generation(self.settings.index_dir) is not None

    def build(
        self,
        paths=None,
        progress: Progress | None = None,
        rescan: bool = False,
        parsed: Mapping[Path, SourceDocument] | None = None,
    ) -> IndexReport:
        """Run an incremental index build (see IndexBuilder)."""
        return IndexBuilder(self.settings, self.embedder, self.stores).run(
            paths, progress, rescan, parsed
        )


class IndexedService:
    """Base of the services that draw on the index (answers, reviews): the settings, the
    retrieval service, and the bibliography that resolves the corpus's citation keys."""

    def __init__(
        self,
        settings: Settings,
        retrieval: RetrievalService,
        bibliography: Bibliography | None = None,
    ) -> None:
        self.settings = settings
        self.retrieval = retrieval
        if bibliography is not None:
            self.bibliography = bibliography  # the composition root's: fills the property

    @cached_property
    def bibliography(self) -> Bibliography:
        """The corpus bibliography, read on first use when none was given."""
        return Bibliography.load(self.settings.corpus_paths)
