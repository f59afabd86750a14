"""A deterministic stand-in for the bundled embedding model, for unit tests of the plumbing
(indexing, vector stores, fusion) where which model ranks best is not the question."""

from __future__ import annotations

import hashlib
import math
import re

DIMENSION = 384  # as all-MiniLM-L6-v2, so stores and shapes are exercised as in production
_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """A hashed bag of words in 384 dimensions, unit length: texts sharing words are close,
    the same text always gets the same vector, and nothing is loaded."""

    name = "test:hashed-words-384"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * DIMENSION
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % DIMENSION
            vector[index] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(x * x for x in vector))
        if norm == 0:  # no words: a fixed unit vector rather than an invalid zero one
            return [1.0 / math.sqrt(DIMENSION)] * DIMENSION
        return [x / norm for x in vector]
