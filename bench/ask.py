"""Answer benchmark, in one run:

1. /v1/ask (extractive, the default) p50/p95 over real HTTP against a uvicorn server on
   loopback, side by side with /v1/search on the same server and questions as the baseline;
2. ``eval answers`` on the dev questions (key-fact coverage, citation validity, adversarial
   handling, latency).

Usage: python bench/ask.py [--questions FILE] [--rounds N] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from hlsguide.answer.evaluation import evaluate_answers
from hlsguide.answer.service import AnswerService
from hlsguide.config import Settings
from hlsguide.retrieval.evaluation import load_questions
from hlsguide.retrieval.service import RetrievalService

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the same service starters the integration tier uses
from support.services import api_workers  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[round(0.95 * (len(ordered) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/dev_questions.yaml"
    )
    parser.add_argument("--rounds", type=int, default=2, help="Passes over the questions.")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="Reuse this data directory (its index is brought up to date incrementally) "
        "instead of building a fresh index in a temporary one.",
    )
    args = parser.parse_args()
    questions = load_questions(args.questions)

    data = args.data_dir or Path(tempfile.mkdtemp(prefix="hlsguide-bench-ask-"))
    env = {
        **os.environ,
        "HLSGUIDE_DATA_DIR": str(data),
        "HLSGUIDE_CORPUS_PATHS": f'["{ROOT / "corpus"}"]',
        "HLSGUIDE_RATE_LIMIT_PER_MINUTE": "1000000",  # one client, many requests
    }
    settings = Settings(_env_file=None, data_dir=data, corpus_paths=[ROOT / "corpus"])
    retrieval = RetrievalService(settings)
    retrieval.build()

    with api_workers(env) as (base,), httpx.Client(base_url=base, timeout=60) as http:
        http.post("/v1/ask", json={"question": "warm up: what is HLS?"})
        ask, search = [], []
        for _ in range(args.rounds):
            for q in questions:
                start = time.perf_counter()
                http.post("/v1/search", json={"query": q.question, "k": 6}).raise_for_status()
                search.append(time.perf_counter() - start)
                start = time.perf_counter()
                http.post("/v1/ask", json={"question": q.question}).raise_for_status()
                ask.append(time.perf_counter() - start)

    s50, s95 = percentiles(search)
    a50, a95 = percentiles(ask)
    print(f"== 1. over HTTP, {len(ask)} requests each (interleaved) ==")
    print(f"  /v1/search (baseline)  p50 {s50:7.1f} ms   p95 {s95:7.1f} ms")
    print(f"  /v1/ask (extractive)   p50 {a50:7.1f} ms   p95 {a95:7.1f} ms")
    print(f"  ratio ask/search       p50 {a50 / s50:7.2f}x  p95 {a95 / s95:7.2f}x")

    print("\n== 2. eval answers on the dev questions (extractive) ==")
    result = evaluate_answers(AnswerService(settings, retrieval), questions)
    for s in result.scores:
        coverage = "-" if s.key_fact_coverage is None else f"{s.key_fact_coverage:.2f}"
        validity = "-" if s.citation_validity is None else f"{s.citation_validity:.2f}"
        expect = (
            f"  {s.expect}: {'handled' if s.expect_handled else 'NOT handled'}" if s.expect else ""
        )
        print(f"  {s.id:<8} coverage {coverage:>5}  citations valid {validity:>5}{expect}")
    print(
        f"  mean key-fact coverage {result.mean_key_fact_coverage:.3f} (threshold "
        f"{result.threshold}), citation validity {result.citation_validity:.3f}, "
        f"expect handled {result.expect_handled}, refused {result.refused}, "
        f"in-process latency p50 {result.latency_p50_ms:.0f} ms p95 {result.latency_p95_ms:.0f} ms"
    )


if __name__ == "__main__":
    main()
