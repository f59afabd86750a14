"""The complexity lens for specification paragraphs, driven by ``specification.yaml``.

Each framing is decided by transparent patterns; a prototype embedding confirms a framing
whose words are only partly there. Every match lists the words that raised it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hlsguide.lens.lexicon import compile_patterns, load_lexicon
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.types import LensMatch


def _words(patterns: tuple[re.Pattern[str], ...], text: str) -> list[str]:
    return [" ".join(m.group(0).split()) for p in patterns for m in p.finditer(text)]


@dataclass(frozen=True)
class Framing:
    """One specification framing: its rules, and the corpus documents that answer it."""

    name: str
    label: str
    harm: str
    change: str
    prototype: str
    any: tuple[re.Pattern[str], ...]
    all: tuple[tuple[re.Pattern[str], ...], ...]
    unless: tuple[re.Pattern[str], ...]
    why: tuple[str, ...]
    instead: tuple[str, ...]

    def match(self, text: str, similarity: float, threshold: float) -> list[str] | None:
        """The words that raise this framing in ``text``, or None when it is not raised."""
        if any(p.search(text) for p in self.unless):
            return None
        strong = _words(self.any, text)
        groups = [_words(group, text) for group in self.all]
        complete = bool(groups) and all(groups)
        partial = any(groups)
        if strong or complete or (partial and similarity >= threshold):
            return list(dict.fromkeys(strong + [w for g in groups for w in g]))
        return None


class SpecificationLens:
    """Finds specification framings (and strengths) in paragraphs; the rules are data."""

    def __init__(self, embedder: Embedder, path: Path | None = None) -> None:
        data = load_lexicon("specification.yaml", path)
        self.min_words = int(data["min_words"])
        self.threshold = float(data["prototype_threshold"])
        self.framings = [
            Framing(
                name=name,
                label=spec["label"],
                harm=" ".join(spec["harm"].split()),
                change=" ".join(spec["change"].split()),
                prototype=" ".join(spec["prototype"].split()),
                any=compile_patterns(spec.get("any", [])),
                all=tuple(compile_patterns(group) for group in spec.get("all", [])),
                unless=compile_patterns(spec.get("unless", [])),
                why=tuple(spec["why"]),
                instead=tuple(spec["instead"]),
            )
            for name, spec in data["framings"].items()
        ]
        self.by_name = {f.name: f for f in self.framings}
        self._strengths = [
            (name, spec["label"], compile_patterns(spec["patterns"]))
            for name, spec in data["strengths"].items()
        ]
        self.prototype_vectors = np.asarray(
            embedder.embed_documents([f.prototype for f in self.framings])
        )

    def reviewable(self, text: str) -> bool:
        """Whether a paragraph is long enough to carry a framing (not a heading or label)."""
        return len(text.split()) >= self.min_words

    def framings_in(self, text: str, vector: np.ndarray) -> list[LensMatch]:
        """The framings ``text`` raises, each with its words; ``vector`` is its embedding."""
        if not self.reviewable(text):
            return []
        similarity = self.prototype_vectors @ vector
        found = []
        for framing, sim in zip(self.framings, similarity, strict=True):
            words = framing.match(text, float(sim), self.threshold)
            if words is not None:
                found.append(LensMatch(name=framing.name, label=framing.label, evidence=words))
        return found

    def strengths_in(self, text: str) -> list[LensMatch]:
        """HLS practice the paragraph already follows (learning reviews, shared governance...)."""
        if not self.reviewable(text):
            return []
        return [
            LensMatch(name=name, label=label, evidence=list(dict.fromkeys(words)))
            for name, label, patterns in self._strengths
            if (words := _words(patterns, text))
        ]
