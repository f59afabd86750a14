"""Indexes built for tests with the real pipeline."""

from __future__ import annotations

from hlsguide.config import Settings
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.retrieval.index import IndexReport
from hlsguide.retrieval.service import RetrievalService


def indexed(settings: Settings, embedder: Embedder) -> tuple[RetrievalService, IndexReport]:
    """A retrieval service over ``settings``' corpus, indexed, and the run's report; fails the
    test when any file could not be indexed."""
    service = RetrievalService(settings, embedder)
    report = service.build()
    assert not report.failed, report.failed
    return service, report
