"""Lexical search with BM25 (bm25s), persisted beside the vectors of each index generation."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """English stop words removed, Snowball-stemmed: the same for the index and the query."""
    return bm25s.tokenize(
        texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )


class LexicalIndex:
    """BM25 over chunk texts; result positions are indexes into the generation's chunk list."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        """Index ``texts`` (one per chunk, in chunk order)."""
        retriever = bm25s.BM25()
        # An empty token list would break bm25s; a placeholder keeps positions aligned.
        retriever.index([t or ["\u2205"] for t in tokenize(texts)], show_progress=False)
        return cls(retriever, len(texts))

    def save(self, directory: Path) -> None:
        """Write the index to ``directory``."""
        self._retriever.save(str(directory))
        (directory / "size").write_text(str(self.size))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """Read an index written by ``save``."""
        size = int((directory / "size").read_text())
        return cls(bm25s.BM25.load(str(directory), mmap=False), size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when no query term is indexed)."""
        tokens = tokenize([query])[0]
        known = [t for t in tokens if t in self._retriever.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return self._retriever.get_scores(known)

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Up to ``k`` (chunk position, score) pairs with a positive score, best first."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, int(np.count_nonzero(scores > 0)))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(i), float(scores[i])) for i in best]
