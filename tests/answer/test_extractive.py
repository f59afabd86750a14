"""The extractive composer's scoring, on hand-made vectors (no model)."""

import numpy as np
import pytest

from hlsguide.answer.generators.base import Candidate
from hlsguide.answer.generators.extractive import (
    CENTRAL_DOCUMENTS,
    CENTRALITY,
    closeness,
    with_centrality,
)
from hlsguide.types import Unit


def _candidate(document: str, rank: int, vector: list[float], similarity: float = 0.1):
    unit = Unit(
        id=f"{document}~{vector}",
        document_id=document,
        kind="sentence",
        text="A sentence long enough to be said.",
        start=0,
        end=34,
        title=document,
        doc_kind="concept",
    )
    v = np.asarray(vector, dtype=np.float32)
    return Candidate(unit, v / np.linalg.norm(v), similarity, document_rank=rank)


def test_units_that_state_their_documents_theme_are_central():
    top = [_candidate("top", 0, [1, 0.1, 0]), _candidate("top", 0, [1, -0.1, 0])]
    aside = _candidate("top", 0, [0, 0, 1])
    far = _candidate("far", CENTRAL_DOCUMENTS, [1, 0, 0])
    scored = with_centrality([*top, aside, far])
    main, other, off_theme, lower = (c.centrality for c in scored)
    assert main == pytest.approx(other)
    assert main > off_theme + 0.3
    # Only the best-retrieved documents are summarised this way.
    assert lower == 0.0
    assert [c.unit.id for c in scored] == [c.unit.id for c in [*top, aside, far]]


def test_closeness_adds_weighted_centrality_to_similarity():
    (scored,) = with_centrality([_candidate("top", 0, [0, 1, 0], similarity=0.25)])
    assert scored.centrality == pytest.approx(1.0)
    assert closeness(scored) == pytest.approx(0.25 + CENTRALITY)
