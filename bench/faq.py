"""Batch FAQ benchmark: questions per minute on the dev question set, extractive mode, at
concurrency 1 and 4, in one run (the same runner ``hlsguide faq`` uses, with a checkpoint).

The index is built from corpus/ in a temporary folder first (or reused with --data-dir). The
service is warmed up on one question so that model loading is not counted. Both runs must give
the same answers; the script says so, or exits 1.

Usage: python bench/faq.py [--questions FILE] [--data-dir DIR] [--concurrency 1 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hlsguide.answer.service import AnswerService
from hlsguide.config import Settings
from hlsguide.faq.checkpoint import Checkpoint
from hlsguide.faq.questions import read_questions
from hlsguide.faq.runner import run_batch
from hlsguide.retrieval.service import RetrievalService

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/dev_questions.yaml"
    )
    parser.add_argument("--data-dir", type=Path, help="Reuse (or build) the index here.")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    questions = read_questions(args.questions)

    work = Path(tempfile.mkdtemp(prefix="hlsguide-bench-faq-"))
    data = args.data_dir or work / "data"
    settings = Settings(
        _env_file=None,
        data_dir=data,
        corpus_paths=[ROOT / "corpus"],
        database_url=f"sqlite:///{work / 'bench.db'}",
        curated_dir=work / "curated",  # none: every answer is generated
    )
    retrieval = RetrievalService(settings)
    if not retrieval.is_ready():
        start = time.perf_counter()
        retrieval.build()
        print(f"index built in {time.perf_counter() - start:.0f} s")
    service = AnswerService(settings, retrieval)
    service.ask("What is a learning cycle?", mode="extractive", channel="bench")  # warm up

    print(
        f"== {len(questions)} questions from {args.questions.name}, extractive mode, "
        f"{os.cpu_count()} CPUs =="
    )
    rates: dict[int, float] = {}
    answers: dict[int, list[str]] = {}
    for concurrency in args.concurrency:
        checkpoint_file = work / f"c{concurrency}.checkpoint.jsonl"
        with Checkpoint(checkpoint_file, resume=False) as checkpoint:
            start = time.perf_counter()
            results = asyncio.run(
                run_batch(
                    service,
                    questions,
                    mode="extractive",
                    concurrency=concurrency,
                    sink=checkpoint,
                )
            )
            elapsed = time.perf_counter() - start
        failed = [r.id for r in results if r.status != "ok"]
        latencies = [r.answer.timings.get("total_ms", 0.0) for r in results if r.answer]
        rates[concurrency] = len(questions) / elapsed * 60
        answers[concurrency] = [r.answer.answer if r.answer else "" for r in results]
        print(
            f"  concurrency {concurrency}: {rates[concurrency]:6.1f} questions/min "
            f"({elapsed:5.1f} s; per answer p50 {statistics.median(latencies):5.0f} ms, "
            f"max {max(latencies):5.0f} ms; failed {len(failed)})"
        )
    first, *others = args.concurrency
    for concurrency in others:
        print(f"  speed-up {concurrency} vs {first}: {rates[concurrency] / rates[first]:.2f}x")
    same = all(answers[c] == answers[first] for c in others)
    print(f"  same answers at every concurrency: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
