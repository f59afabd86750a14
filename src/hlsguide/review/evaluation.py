"""Precision and recall of the specification lens on a labelled paragraph set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, Field

from hlsguide.lens.specification import SpecificationLens
from hlsguide.retrieval.embeddings import Embedder


class LabelledParagraph(BaseModel):
    """A specification paragraph and the framings a reviewer found in it."""

    text: str
    framings: list[str] = Field(default_factory=list)


class Scores(BaseModel):
    """Counts and rates for one framing, or for all of them pooled."""

    support: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float


class Mistake(BaseModel):
    text: str
    expected: list[str]
    found: list[str]


class DetectionReport(BaseModel):
    """Pooled scores over every (paragraph, framing) pair, per-framing scores, and misses."""

    paragraphs: int
    overall: Scores
    flagged: Scores = Field(description="Whether a paragraph is flagged at all, whatever framing.")
    by_framing: dict[str, Scores]
    mistakes: list[Mistake]


def load_labelled(path: Path, known: set[str]) -> list[LabelledParagraph]:
    """Read a labelled set; a label that names no framing is an error."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [LabelledParagraph.model_validate(item) for item in data["items"]]
    for item in items:
        unknown = set(item.framings) - known
        if unknown:
            raise ValueError(f"{path}: unknown framing {sorted(unknown)} for '{item.text[:50]}'")
    return items


def _scores(tp: int, fp: int, fn: int) -> Scores:
    return Scores(
        support=tp + fn,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        precision=round(tp / (tp + fp), 3) if tp + fp else 1.0,
        recall=round(tp / (tp + fn), 3) if tp + fn else 1.0,
    )


def evaluate_detection(
    lens: SpecificationLens, embedder: Embedder, items: list[LabelledParagraph]
) -> DetectionReport:
    """Run the lens on every paragraph and compare with its labels."""
    vectors = np.asarray(embedder.embed_documents([i.text for i in items]))
    names = [f.name for f in lens.framings]
    counts = {n: [0, 0, 0] for n in names}
    flagged = [0, 0, 0]
    mistakes = []
    for item, vector in zip(items, vectors, strict=True):
        found = {m.name for m in lens.framings_in(item.text, vector)}
        expected = set(item.framings)
        for name in names:
            counts[name][0] += name in found and name in expected
            counts[name][1] += name in found and name not in expected
            counts[name][2] += name in expected and name not in found
        flagged[0] += bool(found) and bool(expected)
        flagged[1] += bool(found) and not expected
        flagged[2] += bool(expected) and not found
        if found != expected:
            mistakes.append(Mistake(text=item.text, expected=sorted(expected), found=sorted(found)))
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return DetectionReport(
        paragraphs=len(items),
        overall=_scores(*total),
        flagged=_scores(*flagged),
        by_framing={n: _scores(*c) for n, c in counts.items()},
        mistakes=mistakes,
    )
