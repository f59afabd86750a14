"""Advice for a flagged paragraph, composed from corpus unit sentences and cited like an
answer: why the framing matters in a complex system, and what to write instead."""

from __future__ import annotations

import numpy as np

from hlsguide.answer.citations import Draft, verify
from hlsguide.corpus.references import Bibliography
from hlsguide.lens.specification import Framing, SpecificationLens
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.review.units import UnitSentence, UnitSource
from hlsguide.types import Citation, Hit

# Relevance of a unit sentence: part its similarity to the paragraph, part to the framing's
# aim (its harm for "why", its change for "instead"), both written in specification.yaml.
PARAGRAPH_WEIGHT = 0.3
WHY_SENTENCES = 2
INSTEAD_SENTENCES = 3
# Maximal marginal relevance: relevance against repeating a sentence already chosen.
MMR_LAMBDA = 0.6


def mmr(pool: list[int], relevance: np.ndarray, vectors: np.ndarray, count: int) -> list[int]:
    """Up to ``count`` indexes of ``pool``, each the best trade of relevance and novelty."""
    chosen: list[int] = []
    pool = list(pool)
    while pool and len(chosen) < count:
        redundancy = (
            (vectors[pool] @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(pool))
        )
        gain = MMR_LAMBDA * relevance[pool] - (1 - MMR_LAMBDA) * redundancy
        best = pool[int(np.argmax(gain))]
        chosen.append(best)
        pool.remove(best)
    return chosen


class Advisor:
    """Holds the unit sentences of every document the framings name, embedded once."""

    def __init__(
        self,
        lens: SpecificationLens,
        units: UnitSource,
        embedder: Embedder,
        bibliography: Bibliography,
    ) -> None:
        self.lens = lens
        self.bibliography = bibliography
        documents = [d for f in lens.framings for d in (*f.why, *f.instead)]
        self.sentences: list[UnitSentence] = units.sentences(documents)
        names = [f.name for f in lens.framings]
        aims = [f.harm for f in lens.framings] + [f.change for f in lens.framings]
        vectors = np.asarray(embedder.embed_documents([s.text for s in self.sentences] + aims))
        self.vectors = vectors[: len(self.sentences)]
        aim_vectors = vectors[len(self.sentences) :]
        self.harm_vectors = dict(zip(names, aim_vectors[: len(names)], strict=True))
        self.change_vectors = dict(zip(names, aim_vectors[len(names) :], strict=True))

    def _pick(
        self, documents: set[str], aim: np.ndarray, paragraph: np.ndarray, count: int, used: set
    ) -> list[int]:
        pool = [
            i for i, s in enumerate(self.sentences) if s.document_id in documents and i not in used
        ]
        if not pool:
            return []
        relevance = PARAGRAPH_WEIGHT * (self.vectors @ paragraph) + (1 - PARAGRAPH_WEIGHT) * (
            self.vectors @ aim
        )
        chosen = mmr(pool, relevance, self.vectors, count)
        used.update(chosen)
        return chosen

    def advise(
        self, paragraph: np.ndarray, framings: list[Framing]
    ) -> tuple[str, str, list[Citation]]:
        """(why, instead, citations) for a paragraph raising ``framings``; every sentence
        carries a verified ``[n]``."""
        used: set[int] = set()
        why: list[int] = []
        per_framing = max(1, WHY_SENTENCES // len(framings))
        for framing in framings[:3]:
            aim = self.harm_vectors[framing.name]
            why += self._pick(set(framing.why), aim, paragraph, per_framing, used)
        instead_docs = {d for f in framings for d in f.instead}
        aim = np.mean([self.change_vectors[f.name] for f in framings], axis=0)
        instead = self._pick(
            instead_docs, aim / np.linalg.norm(aim), paragraph, INSTEAD_SENTENCES, used
        )
        hits: list[Hit] = []
        quotes: dict[int, str] = {}

        def cite(i: int) -> str:
            sentence = self.sentences[i]
            hits.append(sentence.hit)
            quotes[len(hits)] = sentence.quote
            return f"{sentence.text[:-1]} [{len(hits)}]{sentence.text[-1]}"

        why_md = " ".join(cite(i) for i in why)
        instead_md = "\n".join(f"- {cite(i)}" for i in instead)
        markdown, citations, _ = verify(
            Draft(f"{why_md}\n\n{instead_md}", quotes), hits, self.bibliography
        )
        why_md, _, instead_md = markdown.partition("\n\n")
        return why_md, instead_md, citations
