"""Scores of the injection detector on a labelled set, and the corpus units it would blank
(``hlsguide eval injection``; ``train.py`` reuses them).

A labelled set is a folder of ``*.txt`` files, one sentence a line (``\\n`` inside a line stands
for a line break; lines starting with ``#`` are comments); files named ``injections*`` hold
sentences addressed to a model, files named ``ordinary*`` ordinary sentences. Other files (such
as the planted suite's ``payloads.txt`` beside the held-out set) are not labelled sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from hlsguide.retrieval.injection.detector import InjectionDetector, normalise, units

Embed = Callable[[list[str]], np.ndarray]


def read_files(folder: Path) -> list[tuple[str, list[str], int]]:
    """(file name, texts, label: 1 = addressed to a model) of each labelled ``*.txt`` file in
    ``folder``."""
    files = sorted(folder.glob("injections*.txt")) + sorted(folder.glob("ordinary*.txt"))
    if not files:
        raise ValueError(f"no labelled *.txt files in {folder}")
    found = []
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        texts = [t.replace("\\n", "\n") for t in lines if t.strip() and not t.startswith("#")]
        found.append((path.name, texts, int(path.name.startswith("injections"))))
    return found


def read_set(folder: Path) -> tuple[list[str], np.ndarray]:
    """Texts and labels (1 = addressed to a model) of the labelled ``*.txt`` files in
    ``folder``."""
    files = read_files(folder)
    texts = [t for _, found, _ in files for t in found]
    labels = np.asarray([label for _, found, label in files for _ in found])
    if not labels.any() or labels.all():
        raise ValueError(f"{folder} needs both injections*.txt and ordinary*.txt files")
    return texts, labels


def corpus_sentences(corpus: Path) -> list[str]:
    """Every unit the detector would judge in the corpus documents, as indexing loads them."""
    from hlsguide.corpus.loaders import discover, load_document

    found: list[str] = []
    for path in discover([corpus]):
        document = load_document(path)
        for section in document.sections:
            found.extend(normalise(section.text[s:e]) for s, e in units(section.text))
    return list(dict.fromkeys(found))


class Scores(BaseModel):
    """Precision and recall of one way of flagging, with the sentences it got wrong."""

    precision: float
    recall: float
    missed: list[str]
    false_alarms: list[str]


class InjectionEvaluation(BaseModel):
    labels: str
    positives: int
    negatives: int
    threshold: float
    detector: Scores  # both layers on each labelled sentence as a whole
    classifier_only: Scores
    patterns_only: Scores
    # Both layers as indexing applies them: a sentence counts as flagged when any of its units
    # (the sentence, each line, each aside in brackets) is blanked.
    as_indexed: Scores
    corpus_sentences: int | None = None
    corpus_blanked: list[str] | None = None


def _scores(texts: Sequence[str], y: np.ndarray, predicted: np.ndarray) -> Scores:
    tp = int((predicted & (y == 1)).sum())
    return Scores(
        precision=round(tp / max(int(predicted.sum()), 1), 4),
        recall=round(tp / max(int(y.sum()), 1), 4),
        missed=[t for t, p, label in zip(texts, predicted, y, strict=True) if label and not p],
        false_alarms=[
            t for t, p, label in zip(texts, predicted, y, strict=True) if p and not label
        ],
    )


def evaluate_detector(
    detector: InjectionDetector,
    labels: Path,
    corpus: Path | None = None,
    embed: Embed | None = None,
) -> InjectionEvaluation:
    """Scores on the labelled set in ``labels`` and, given ``corpus``, the corpus units the
    detector would blank. ``embed`` (default: the detector's embedder) may serve cached
    vectors."""
    embed = embed or (lambda texts: np.asarray(detector.embedder.embed_documents(texts)))
    texts, y = read_set(labels)
    normalised = [normalise(t) for t in texts]
    vectors = embed(normalised)
    by_model = detector.probabilities(normalised, vectors) >= detector.weights.threshold
    by_pattern = np.asarray(detector.pattern_flags(normalised))
    combined = np.asarray(detector.flags_from_vectors(normalised, vectors))
    pieces = [[normalise(t[s:e]) for s, e in units(t)] for t in texts]
    flat = list(dict.fromkeys(p for found in pieces for p in found))
    verdict = dict(zip(flat, detector.flags_from_vectors(flat, embed(flat)), strict=True))
    indexed = np.asarray([any(verdict[p] for p in found) for found in pieces])
    result = InjectionEvaluation(
        labels=str(labels),
        positives=int(y.sum()),
        negatives=int((y == 0).sum()),
        threshold=detector.weights.threshold,
        detector=_scores(texts, y, combined),
        classifier_only=_scores(texts, y, by_model),
        patterns_only=_scores(texts, y, by_pattern),
        as_indexed=_scores(texts, y, indexed),
    )
    if corpus is not None:
        sentences = corpus_sentences(corpus)
        flags = detector.flags_from_vectors(sentences, embed(sentences)) if sentences else []
        result.corpus_sentences = len(sentences)
        result.corpus_blanked = [s for s, f in zip(sentences, flags, strict=True) if f]
    return result
