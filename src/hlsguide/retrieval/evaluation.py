"""Retrieval evaluation: hit@k and MRR per mode, overall and per category.

hit@k counts a question as answered when one of its ``relevant`` documents is among the first
k distinct documents retrieved; MRR uses the rank of the first relevant document. Questions
with an empty ``relevant`` list (adversarial ones) are skipped.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from hlsguide.retrieval.search import Searcher, SearchMode


class EvalQuestion(BaseModel):
    """One question of an evaluation set (the format of shared/eval/dev_questions.yaml)."""

    id: str
    question: str
    category: str = "uncategorised"
    relevant: list[str] = Field(default_factory=list)
    key_facts: list[str] = Field(default_factory=list)
    # How an adversarial question must be handled, each read from the answer's text by
    # answer.evaluation.expectation_met; an unknown label is an error, not a silent miss.
    expect: (
        Literal[
            "correct-misuse",
            "decline-out-of-scope",
            "ignore-injection",
            "refer-legal-advice",
            "reframe-target-framing",
            "state-evidence-limits",
        ]
        | None
    ) = None


class ModeScore(BaseModel):
    """Scores of one mode over a group of questions."""

    questions: int
    hit_at_k: float
    mrr: float


class RetrievalEval(BaseModel):
    """Scores by mode, overall and per category, plus each question's first relevant rank."""

    k: int
    overall: dict[str, ModeScore]
    by_category: dict[str, dict[str, ModeScore]]
    ranks: dict[str, dict[str, int | None]]
    skipped: list[str]


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read an evaluation file; raise ValueError with the reason when it is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read questions ({exc})") from exc
    items = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise ValueError(f"{path}: expected a 'questions' list")
    questions = []
    for n, item in enumerate(items, start=1):
        try:
            questions.append(EvalQuestion.model_validate(item))
        except ValidationError as exc:
            raise ValueError(f"{path}: question {n}: {exc}") from exc
    return questions


def _first_relevant_rank(searcher: Searcher, question: EvalQuestion, mode: SearchMode, depth: int):
    hits = searcher.search(question.question, k=depth, mode=mode)
    documents = list(dict.fromkeys(hit.chunk.document_id for hit in hits))
    for rank, doc_id in enumerate(documents, start=1):
        if doc_id in question.relevant:
            return rank
    return None


def evaluate_retrieval(
    searcher: Searcher, questions: list[EvalQuestion], k: int = 5, modes=tuple(SearchMode)
) -> RetrievalEval:
    """Score every mode on the questions that name relevant documents."""
    scored = [q for q in questions if q.relevant]
    depth = max(20, k * 4)
    ranks = {
        mode.value: {q.id: _first_relevant_rank(searcher, q, mode, depth) for q in scored}
        for mode in modes
    }

    def score(mode: str, group: list[EvalQuestion]) -> ModeScore:
        found = [ranks[mode][q.id] for q in group]
        return ModeScore(
            questions=len(group),
            hit_at_k=sum(1 for r in found if r is not None and r <= k) / len(group),
            mrr=sum(1 / r for r in found if r is not None) / len(group),
        )

    categories: dict[str, list[EvalQuestion]] = defaultdict(list)
    for question in scored:
        categories[question.category].append(question)
    return RetrievalEval(
        k=k,
        overall={mode: score(mode, scored) for mode in ranks} if scored else {},
        by_category={
            name: {mode: score(mode, group) for mode in ranks}
            for name, group in sorted(categories.items())
        },
        ranks=ranks,
        skipped=[q.id for q in questions if not q.relevant],
    )
