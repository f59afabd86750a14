"""Train the unit ranker (``ranker.py``) and write ``ranker.npz`` (run from a checkout, on an
index of the corpus: ``hlsguide index`` first)::

    python -m hlsguide.answer.ranker_train cv    # grouped cross-validation only
    python -m hlsguide.answer.ranker_train fit   # cross-validation, fit on all, write weights

Each training question runs through the real pipeline (lens, retrieval, candidate units); a
unit covers a key fact when their vectors meet the evaluation's threshold. The loss is per
fact: the softmax over the question's candidates (hand-set relevance plus the learned term)
should put its mass on some unit covering the fact, so every fact pulls, not only the easiest.
Folds are the writers: each group of sets written together is scored by a model fitted on the
others. The evaluation sets (``eval/questions*.yaml``, the shared dev set) are never read here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hlsguide.answer.evaluation import KEY_FACT_THRESHOLD
from hlsguide.answer.generators.extractive import (
    DUPLICATE_COSINE,
    relevance,
    usable,
    with_centrality,
)
from hlsguide.answer.ranker import WEIGHTS, UnitRanker
from hlsguide.answer.service import AnswerService
from hlsguide.config import Settings
from hlsguide.retrieval.evaluation import load_questions
from hlsguide.retrieval.service import RetrievalService

EVAL = Path(__file__).resolve().parents[3] / "eval"
# Sets written together, by one writer: the folds of the cross-validation.
FOLDS = (
    ("train/answers_a.yaml", "tuning.yaml"),
    ("train/answers_b.yaml", "tuning2.yaml"),
    ("train/answers_c.yaml", "tuning4.yaml"),
    ("train/answers_d.yaml",),
    ("train/answers_e.yaml",),
    ("train/answers_f.yaml",),
    ("train/answers_g.yaml",),
)
# Chosen by the grouped cross-validation (rank 8-64, l2 1e-3-3e-2, temperature 0.05-0.2,
# 20-60 epochs; also tried: a query-free unit salience and kind and rank biases, both worse).
RANK = 32
L2 = 1e-2
TEMPERATURE = 0.1
EPOCHS = 60
LEARNING_RATE = 3e-3
# Models fitted from different seeds differ by a few points of coverage on a 30-question set;
# their mean (a sum of low-rank maps, so again one) is steadier.
SEEDS = 3
# The cross-validation's yardstick: key-fact coverage of the top units by relevance (near
# duplicates skipped, as the composer skips them), about the number of units an answer holds.
TOP_UNITS = 9


@dataclass
class Example:
    """One training question: its vector, its candidates' vectors, hand-set relevance, which
    may be said, and which key facts each covers."""

    question: np.ndarray
    units: np.ndarray
    relevance: np.ndarray
    usable: np.ndarray
    covers: np.ndarray  # (units, facts) booleans


def collect(answers: AnswerService, paths: list[Path]) -> list[Example]:
    """Run each question with key facts through the pipeline of ``answers``."""
    embedder = answers.retrieval.embedder
    examples = []
    for path in paths:
        for question in load_questions(path):
            if not question.key_facts:
                continue
            prepared = answers.prepare(question.question)
            candidates = with_centrality(prepared.candidates)
            if not candidates or prepared.vector is None:
                continue
            facts = np.asarray(embedder.embed_documents(question.key_facts))
            units = np.asarray([c.vector for c in candidates])
            examples.append(
                Example(
                    question=np.asarray(prepared.vector),
                    units=units,
                    relevance=np.asarray([relevance(c) for c in candidates]),
                    usable=np.asarray([usable(c) for c in candidates]),
                    covers=(units @ facts.T) >= KEY_FACT_THRESHOLD,
                )
            )
    return examples


def fit(examples: list[Example], model: str) -> UnitRanker:
    """The mean of SEEDS fitted maps, each divided by its weight of hand-set relevance."""
    fitted = [fit_one(examples, model, seed) for seed in range(SEEDS)]
    return UnitRanker(
        model=model,
        down=np.concatenate([r.down for r in fitted], axis=1),
        up=np.concatenate([r.up / (r.scale * len(fitted)) for r in fitted], axis=0),
        scale=1.0,
    )


def fit_one(examples: list[Example], model: str, seed: int) -> UnitRanker:
    """Fit the low-rank map (and the weight of hand-set relevance beside it)."""
    import torch

    torch.manual_seed(seed)
    dimensions = examples[0].question.shape[0]
    down = torch.nn.Parameter(torch.zeros(dimensions, RANK))
    up = torch.nn.Parameter(torch.randn(RANK, dimensions) * 0.01)
    scale = torch.nn.Parameter(torch.tensor(1.0))
    optimiser = torch.optim.Adam([down, up, scale], lr=LEARNING_RATE)
    tensors = []
    for e in examples:
        # Only facts some unit that may be said covers can pull.
        covers = e.covers & e.usable[:, None]
        covers = covers[:, covers.any(axis=0)]
        if covers.shape[1]:
            tensors.append(
                (
                    torch.tensor(e.question, dtype=torch.float32),
                    torch.tensor(e.units, dtype=torch.float32),
                    torch.tensor(e.relevance, dtype=torch.float32),
                    torch.tensor(e.usable),
                    torch.tensor(covers),
                )
            )
    for _ in range(EPOCHS):
        for i in torch.randperm(len(tensors)).tolist():
            question, units, hand_set, may_say, covers = tensors[i]
            score = scale * hand_set + units @ (up.T @ (down.T @ question))
            score = torch.where(may_say, score, torch.tensor(-1e4))
            log_p = torch.log_softmax(score / TEMPERATURE, 0)
            per_fact = torch.stack(
                [torch.logsumexp(log_p[covers[:, j]], 0) for j in range(covers.shape[1])]
            )
            loss = -per_fact.mean() + L2 * (down.pow(2).sum() + up.pow(2).sum())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return UnitRanker(
        model=model,
        down=down.detach().numpy(),
        up=up.detach().numpy(),
        scale=float(scale.detach()),
    )


def top_coverage(example: Example, scores: np.ndarray) -> float:
    """Share of the key facts covered by the TOP_UNITS best-scored units that may be said."""
    order = np.argsort(-np.where(example.usable, scores, -np.inf))
    chosen: list[int] = []
    for i in order:
        if len(chosen) == TOP_UNITS or not example.usable[i]:
            break
        if any(float(example.units[i] @ example.units[j]) >= DUPLICATE_COSINE for j in chosen):
            continue
        chosen.append(i)
    return float(example.covers[chosen].any(axis=0).mean()) if chosen else 0.0


def learned_scores(ranker: UnitRanker, example: Example) -> np.ndarray:
    """Relevance as the composer sees it: hand-set plus the learned term."""
    return example.relevance + example.units @ ranker.direction(example.question)


def cross_validate(folds: list[list[Example]], model: str) -> tuple[float, float]:
    """Mean top-unit coverage on held-out folds: (hand-set relevance, with the ranker)."""
    hand_set, learned = [], []
    for k, held in enumerate(folds):
        ranker = fit([e for j, f in enumerate(folds) if j != k for e in f], model)
        hand_set += [top_coverage(e, e.relevance) for e in held]
        learned += [top_coverage(e, learned_scores(ranker, e)) for e in held]
    return float(np.mean(hand_set)), float(np.mean(learned))


def main(argv: list[str]) -> None:
    command = argv[0] if argv else "fit"
    if command not in ("cv", "fit"):
        raise SystemExit(f"unknown command '{command}': cv or fit")
    settings = Settings()  # the configured index (environment and .env)
    answers = AnswerService(settings, RetrievalService(settings))
    model = answers.retrieval.embedder.name
    folds = [collect(answers, [EVAL / name for name in fold]) for fold in FOLDS]
    hand_set, learned = cross_validate(folds, model)
    print(
        f"grouped CV, top-{TOP_UNITS} key-fact coverage on held-out writers: "
        f"hand-set {hand_set:.3f}, with the ranker {learned:.3f}"
    )
    if command == "fit":
        fit([e for fold in folds for e in fold], model).save(WEIGHTS)
        print(f"wrote {WEIGHTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
