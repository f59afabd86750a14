"""Answer evaluation: key-fact coverage, citation validity, adversarial handling, latency.

A key fact counts as covered when some sentence of the answer has cosine similarity of at least
KEY_FACT_THRESHOLD with it under the retrieval embedding model (all-MiniLM-L6-v2). 0.6 was
chosen by reading pairs: below it, matches share a topic but not the claim.
"""

from __future__ import annotations

import re
import statistics
import time

import numpy as np
from pydantic import BaseModel

from hlsguide.answer.citations import MARKER
from hlsguide.answer.service import AnswerService
from hlsguide.retrieval.evaluation import EvalQuestion

KEY_FACT_THRESHOLD = 0.6
REFRAME_HEADING = "### What this means in a complex system"
# What each adversarial expectation requires: the lens flag that must fire.
EXPECTED_FLAGS = {
    "reframe-target-framing": "target_setting",
    "correct-misuse": "control_compliance",
    "state-evidence-limits": "rct_proof",
}


class AnswerScore(BaseModel):
    id: str
    category: str
    key_fact_coverage: float | None
    citation_validity: float | None
    markers: int
    expect: str | None
    expect_handled: bool | None
    refused: bool
    mode: str
    fallback: str | None
    latency_ms: float


class AnswerEval(BaseModel):
    questions: int
    mean_key_fact_coverage: float
    citation_validity: float
    expect_handled: float | None
    refused: int
    latency_p50_ms: float
    latency_p95_ms: float
    threshold: float = KEY_FACT_THRESHOLD
    scores: list[AnswerScore]


def _body(markdown: str) -> str:
    return markdown.split("### Sources")[0]


def _sentences(markdown: str) -> list[str]:
    text = re.sub(r"^#+ .*$", "", _body(markdown), flags=re.M)
    return [s.strip(" -") for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.split()) >= 4]


def evaluate_answers(
    service: AnswerService, questions: list[EvalQuestion], mode: str | None = None
) -> AnswerEval:
    """Ask every question (each in a fresh conversation) and score the answers."""
    embedder = service.retrieval.embedder
    scores: list[AnswerScore] = []
    for question in questions:
        start = time.perf_counter()
        answer = service.ask(question.question, mode=mode, channel="eval")
        latency = (time.perf_counter() - start) * 1000
        coverage = None
        sentences = _sentences(answer.answer)
        if question.key_facts and sentences:
            vectors = np.asarray(embedder.embed_documents(question.key_facts + sentences))
            facts, said = vectors[: len(question.key_facts)], vectors[len(question.key_facts) :]
            coverage = float(np.mean((facts @ said.T).max(axis=1) >= KEY_FACT_THRESHOLD))
        elif question.key_facts:
            coverage = 0.0
        markers = [int(n) for n in MARKER.findall(_body(answer.answer))]
        cited = {c.n for c in answer.citations}
        validity = sum(n in cited for n in markers) / len(markers) if markers else None
        handled = None
        if question.expect:
            flag = EXPECTED_FLAGS.get(question.expect)
            handled = bool(flag and answer.lens.has(flag) and REFRAME_HEADING in answer.answer)
        scores.append(
            AnswerScore(
                id=question.id,
                category=question.category,
                key_fact_coverage=coverage,
                citation_validity=validity,
                markers=len(markers),
                expect=question.expect,
                expect_handled=handled,
                refused=answer.refused,
                mode=answer.mode,
                fallback=answer.fallback,
                latency_ms=round(latency, 1),
            )
        )
    latencies = sorted(s.latency_ms for s in scores)
    covered = [s.key_fact_coverage for s in scores if s.key_fact_coverage is not None]
    all_markers = sum(s.markers for s in scores)
    valid = sum((s.citation_validity or 0) * s.markers for s in scores)
    expects = [s.expect_handled for s in scores if s.expect_handled is not None]
    return AnswerEval(
        questions=len(scores),
        mean_key_fact_coverage=round(statistics.fmean(covered), 3) if covered else 0.0,
        citation_validity=round(valid / all_markers, 3) if all_markers else 1.0,
        expect_handled=round(sum(expects) / len(expects), 3) if expects else None,
        refused=sum(s.refused for s in scores),
        latency_p50_ms=round(statistics.median(latencies), 1),
        latency_p95_ms=latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
        scores=scores,
    )
