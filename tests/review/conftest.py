"""A real index of the corpus documents the specification framings draw their advice from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hlsguide.config import Settings
from hlsguide.lens.specification import SpecificationLens
from hlsguide.retrieval.service import RetrievalService
from hlsguide.review.service import ReviewService

PROJECT = Path(__file__).parents[2]


@pytest.fixture(scope="session")
def review_retrieval(tmp_path_factory, real_embedder) -> RetrievalService:
    """The framings' documents (every 'why' and 'instead' one) copied from the real corpus with
    its bibliography, indexed once per session with the default settings."""
    root = tmp_path_factory.mktemp("review-index")
    corpus = root / "corpus"
    lens = SpecificationLens(real_embedder)
    wanted = {d for f in lens.framings for d in (*f.why, *f.instead)}
    for path in (PROJECT / "corpus").glob("*/*.md"):
        if path.stem in wanted:
            (corpus / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, corpus / path.parent.name / path.name)
    shutil.copy(PROJECT / "corpus" / "references.yaml", corpus / "references.yaml")
    settings = Settings(
        _env_file=None, data_dir=root / "data", corpus_paths=[corpus], curated_dir=root / "cur"
    )
    retrieval = RetrievalService(settings, real_embedder)
    report = retrieval.build()
    assert not report.failed, report.failed
    return retrieval


@pytest.fixture(scope="session")
def reviewer(review_retrieval) -> ReviewService:
    return ReviewService(review_retrieval.settings, review_retrieval)
