"""The default generator: offline and deterministic, composed from the passages' own sentences.

Sentences are chosen by similarity to the question with maximal marginal relevance (so the
answer does not repeat itself) and grouped into sections a commissioner can use.
"""

from __future__ import annotations

import re

import numpy as np

from hlsguide.answer.citations import Draft
from hlsguide.answer.generators.base import GenerationRequest
from hlsguide.answer.passages import Sentence, sentences
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.retrieval.injection import InjectionDetector, directs_the_answer, load_detector

# Sentences less relevant than this are not used.
MIN_SIMILARITY = 0.25
# MMR trade-off between relevance (1.0) and novelty (0.0).
MMR_LAMBDA = 0.6
# Relevance mixes similarity to the question with centrality in the sentence's own passage, so
# that a passage's substance wins over its connective sentences ("It is one of three...").
QUESTION_WEIGHT = 0.6
# Sentences that open with a pronoun lean on context the reader of an answer does not have.
_ANAPHORIC = re.compile(r"^(it|this|that|these|those|they|he|she|its|their)\b", re.IGNORECASE)
ANAPHORA_PENALTY = 0.85
# Retrieval order is evidence too: each step down the passage ranking discounts relevance.
RANK_DECAY = 0.15


def mmr(candidates: list[int], relevance: np.ndarray, vectors: np.ndarray, count: int) -> list[int]:
    """Pick up to ``count`` candidate indexes by maximal marginal relevance."""
    chosen: list[int] = []
    pool = [i for i in candidates if relevance[i] >= MIN_SIMILARITY]
    while pool and len(chosen) < count:

        def gain(i: int) -> float:
            redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            return MMR_LAMBDA * float(relevance[i]) - (1 - MMR_LAMBDA) * redundancy

        best = max(pool, key=lambda i: (gain(i), -i))
        chosen.append(best)
        pool.remove(best)
    return chosen


class ExtractiveGenerator:
    """Answers with the most relevant, least redundant sentences of the retrieved passages."""

    name = "extractive"

    def __init__(self, embedder: Embedder, detector: InjectionDetector | None = None) -> None:
        self.embedder = embedder
        self.detector = detector or load_detector(embedder)

    def _unliftable(self, found: list[Sentence], vectors: np.ndarray) -> list[bool]:
        """Sentences never lifted: flagged by the detector (on the vectors at hand when they
        come from its model), or directing what "your answer" or "every response" must do."""
        texts = [s.text for s in found]
        if self.detector.embedder.name == self.embedder.name:
            flagged = self.detector.flags_from_vectors(texts, vectors)
        else:
            flagged = self.detector.flags(texts)
        return [f or directs_the_answer(t) for f, t in zip(flagged, texts, strict=True)]

    def generate(self, request: GenerationRequest) -> Draft:
        found: list[Sentence] = [
            s for n, hit in enumerate(request.passages, start=1) for s in sentences(n, hit)
        ]
        if not found:
            return Draft(markdown="")
        vectors = np.asarray(
            self.embedder.embed_documents([request.question] + [s.text for s in found])
        )
        question, vectors = vectors[0], vectors[1:]
        unliftable = self._unliftable(found, vectors)
        centrality = np.zeros(len(found))
        for n in {s.n for s in found}:
            members = [i for i, s in enumerate(found) if s.n == n]
            centroid = vectors[members].mean(axis=0)
            centrality[members] = vectors[members] @ (centroid / np.linalg.norm(centroid))
        relevance = QUESTION_WEIGHT * (vectors @ question) + (1 - QUESTION_WEIGHT) * centrality
        relevance *= np.array(
            [
                (ANAPHORA_PENALTY if _ANAPHORIC.match(s.text) else 1.0)
                / (1 + RANK_DECAY * (s.n - 1))
                for s in found
            ]
        )
        used: set[int] = {i for i, skip in enumerate(unliftable) if skip}

        def pick(predicate, count: int) -> list[int]:
            pool = [i for i, s in enumerate(found) if i not in used and predicate(s)]
            chosen = mmr(pool, relevance, vectors, count)
            used.update(chosen)
            return chosen

        reframe_docs = set(request.lens.also_retrieve) if request.lens.reframe_flags else set()
        sections: list[tuple[str, list[int], bool]] = []
        general = pick(lambda s: s.hit.chunk.kind not in {"case", "practice"}, 4)
        if not general:
            general = pick(lambda s: True, 4)
        sections.append(("In short", general, False))
        if reframe_docs:
            sections.append(
                (
                    "What this means in a complex system",
                    pick(lambda s: s.hit.chunk.document_id in reframe_docs, 3),
                    False,
                )
            )
        sections.append(("What others did", pick(lambda s: s.hit.chunk.kind == "case", 2), False))
        sections.append(
            ("What to try next", pick(lambda s: s.hit.chunk.kind == "practice", 3), True)
        )
        quotes: dict[int, str] = {}
        blocks = []
        for heading, chosen, as_list in sections:
            if not chosen:
                continue
            lines = []
            for i in chosen:
                sentence = found[i]
                quotes.setdefault(sentence.n, sentence.quote)
                lines.append(f"{sentence.text[:-1]} [{sentence.n}]{sentence.text[-1]}")
            body = "\n".join(f"- {line}" for line in lines) if as_list else " ".join(lines)
            blocks.append(f"### {heading}\n\n{body}")
        return Draft(markdown="\n\n".join(blocks), quotes=quotes)
