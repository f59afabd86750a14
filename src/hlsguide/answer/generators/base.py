"""The generator seam: ``generate(request) -> Draft``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from hlsguide.answer.citations import Draft
from hlsguide.types import Chunk, Hit, Lens, Unit


class GeneratorError(RuntimeError):
    """The generator's backend failed (unreachable, timed out, returned an error)."""


@dataclass(frozen=True)
class Candidate:
    """A unit that may go into the answer, scored against the question at ask time from
    vectors computed at indexing (nothing is embedded while composing)."""

    unit: Unit
    vector: np.ndarray
    similarity: float  # the question against the unit's text
    prompt_similarity: float = 0.0  # ... against its authored question or misreading
    document_rank: int = 0  # where its document first appears among the passages (0 = top)
    centrality: float = 0.0  # ... against its document's mean unit (set by the composer)
    learned: float = 0.0  # the unit ranker's term (set by the composer, see answer.ranker)
    # One row per sentence as said (corpus.units.said_spans) for a unit of several; else none.
    sentence_vectors: np.ndarray | None = None


@dataclass(frozen=True)
class GenerationRequest:
    """What a generator gets: the standalone question, its lens, passages numbered from 1,
    and the units of the retrieved documents (with the chunk lookup that places a unit's
    sentences exactly: ``locate(document_id, offset)``)."""

    question: str
    lens: Lens
    passages: list[Hit]
    candidates: list[Candidate] = field(default_factory=list)
    locate: Callable[[str, int], Chunk | None] | None = None
    # The lens's framings raised by a text (``ComplexityLens.framings``): which misreadings
    # make the same kind of claim as a flagged question.
    framings: Callable[[str], set[str]] | None = None
    # The question as embedded for retrieval (the units' vectors are in the same space).
    vector: np.ndarray | None = None


class Generator(Protocol):
    """Composes a draft answer whose ``[n]`` markers name passages of the request."""

    name: str

    def generate(self, request: GenerationRequest) -> Draft:
        """A draft for ``request``; raise GeneratorError when the backend fails."""
        ...
