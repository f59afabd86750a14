"""Scale-out benchmark, in one run: throughput and latency of /v1/ask (extractive) for
  1. the embedded default (one worker, SQLite, Chroma in-process),
  2. one worker on the shared stores (PostgreSQL, a Chroma server),
  3. two workers on the shared stores, clients spread over both (a load balancer's job).
PostgreSQL and `chroma run` are started on 127.0.0.1 for the run.

Usage: python bench/scale.py [--clients 8] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the same service starters the integration tier uses
from support.services import api_workers, chroma_server, postgres  # noqa: E402

HLSGUIDE = str(Path(sys.executable).parent / "hlsguide")
QUESTIONS = [
    "What is system stewardship?",
    "How can we commission without outcome targets?",
    "What is the Plymouth Alliance?",
    "How do learning cycles work?",
    "Why do targets lead to gaming?",
    "What is trust-based funding?",
]


async def drive(urls: list[str], clients: int, seconds: float) -> tuple[int, int, list[float]]:
    """(answers, errors, latencies): ``clients`` loops, each pinned to a worker in turn."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def loop(http: httpx.AsyncClient, url: str, offset: int) -> None:
        nonlocal errors
        for question in itertools.islice(itertools.cycle(QUESTIONS), offset, None):
            if time.monotonic() >= deadline:
                return
            start = time.perf_counter()
            response = await http.post(f"{url}/v1/ask", json={"question": question})
            if response.status_code == 200:
                latencies.append(time.perf_counter() - start)
            else:
                errors += 1

    async with httpx.AsyncClient(timeout=120) as http:
        for url in urls:  # warm each worker: model load and first index read
            await http.post(f"{url}/v1/ask", json={"question": "warm up: what is HLS?"})
        await asyncio.gather(*[loop(http, urls[i % len(urls)], i) for i in range(clients)])
    return len(latencies), errors, latencies


def run_case(label: str, env: dict, workers: int, args) -> float:
    with api_workers(env, workers) as urls:
        answered, errors, latencies = asyncio.run(drive(urls, args.clients, args.seconds))
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] * 1000
    p95 = ordered[round(0.95 * (len(ordered) - 1))] * 1000
    rate = answered / args.seconds
    print(
        f"  {label:<38} {rate:6.2f} answers/s   p50 {p50:6.0f} ms   p95 {p95:6.0f} ms   "
        f"errors {errors}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hlsguide-scale-"))
    corpus = json.dumps([str(ROOT / "corpus")])
    base = {
        **os.environ,
        "HLSGUIDE_CORPUS_PATHS": corpus,
        "HLSGUIDE_BUILD_INDEX_ON_START": "false",
        "HLSGUIDE_RATE_LIMIT_PER_MINUTE": "1000000",
        "HLSGUIDE_LOG_JSON": "false",
    }
    print(
        f"/v1/ask, extractive, {args.clients} clients for {args.seconds:g} s per case, "
        f"{os.cpu_count()} cores"
    )
    embedded = {**base, "HLSGUIDE_DATA_DIR": str(root / "embedded")}
    subprocess.run([HLSGUIDE, "index"], env=embedded, check=True, capture_output=True)
    baseline = run_case("embedded default, 1 worker", embedded, 1, args)
    with postgres() as database_url, chroma_server(root / "chroma") as chroma_url:
        shared = {
            **base,
            "HLSGUIDE_DATA_DIR": str(root / "shared"),
            "HLSGUIDE_DATABASE_URL": database_url,
            "HLSGUIDE_CHROMA_URL": chroma_url,
        }
        subprocess.run([HLSGUIDE, "db", "upgrade"], env=shared, check=True, capture_output=True)
        subprocess.run([HLSGUIDE, "index"], env=shared, check=True, capture_output=True)
        one = run_case("shared stores, 1 worker", shared, 1, args)
        two = run_case("shared stores, 2 workers", shared, 2, args)
    print(f"  ratios: shared/embedded {one / baseline:.2f}x, 2 workers/1 worker {two / one:.2f}x")


if __name__ == "__main__":
    main()
