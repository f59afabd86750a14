"""A learned question-to-unit relevance, added to the composer's hand-set ``relevance``.

A commissioner's question and the facts a good answer holds often share few words: "What did
Bevan and Hood find about targets?" is answered by "In 2004/05, official figures showed 96%
within four hours, against 77% in the patient survey", which scores 0.15 against the question.
The ranker learns, from questions written with the key facts their answers need
(``eval/train/`` and the tuning sets, never an evaluation set), a low-rank map of the question
vector: a unit whose vector lies along the mapped question gains relevance. Nothing is embedded
for it: it reads the question vector and the unit vectors the index already holds, so it only
serves the embedding model it was trained with. ``ranker_train.py`` writes the weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hlsguide.retrieval.embeddings import Embedder

WEIGHTS = Path(__file__).with_name("ranker.npz")


@dataclass(frozen=True)
class UnitRanker:
    """``score(unit) = unit · direction(question)``, in the units of ``relevance``."""

    model: str  # the embedding model whose vectors it was trained on
    down: np.ndarray  # (dimensions, rank)
    up: np.ndarray  # (rank, dimensions)
    scale: float  # the trained weight of ``relevance`` beside the learned term

    def direction(self, question: np.ndarray) -> np.ndarray:
        """The vector a unit is scored against for this question."""
        return (self.up.T @ (self.down.T @ question)) / self.scale

    def save(self, path: Path = WEIGHTS) -> None:
        """Write the weights (``np.savez``, float32)."""
        with path.open("wb") as out:
            np.savez(
                out,
                model=np.asarray(self.model),
                down=self.down.astype(np.float32),
                up=self.up.astype(np.float32),
                scale=np.asarray(self.scale, dtype=np.float32),
            )


def load_ranker(embedder: Embedder, path: Path = WEIGHTS) -> UnitRanker | None:
    """The ranker at ``path`` when it was trained on ``embedder``'s vectors; None when there is
    none or another model (its map means nothing in another model's space)."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as weights:
        if str(weights["model"]) != embedder.name:
            return None
        return UnitRanker(
            model=str(weights["model"]),
            down=weights["down"],
            up=weights["up"],
            scale=float(weights["scale"]),
        )
