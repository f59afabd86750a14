"""Load benchmark: N concurrent clients over loopback for T seconds against a running server
(uvicorn, the real corpus) while a re-index runs in another process. Prints requests, errors
and latency percentiles per route.

Usage: python bench/load.py [--clients 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the same service starters the integration tier uses
from support.services import api_workers  # noqa: E402

QUESTIONS = [
    "What is system stewardship?",
    "How can we commission without outcome targets?",
    "What is the Plymouth Alliance?",
    "How do learning cycles work?",
    "Why do targets lead to gaming?",
    "What is trust-based funding?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def client(http: httpx.AsyncClient, deadline: float, results: list, rng: random.Random):
    while time.monotonic() < deadline:
        question = rng.choice(QUESTIONS)
        route, body = (
            ("/v1/ask", {"question": question})
            if rng.random() < 0.7
            else ("/v1/search", {"query": question, "k": 5})
        )
        start = time.perf_counter()
        try:
            response = await http.post(route, json=body)
            status = response.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        results.append((route, status, time.perf_counter() - start))


async def run(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="hlsguide-load-"))
    corpus = work / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    env = {
        **os.environ,
        "HLSGUIDE_DATA_DIR": str(work / "data"),
        "HLSGUIDE_CORPUS_PATHS": f'["{corpus}"]',
        # one client address for all N clients: the per-IP limit is lifted for the bench
        "HLSGUIDE_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    hlsguide = str(Path(sys.executable).parent / "hlsguide")
    subprocess.run([hlsguide, "index"], env=env, check=True, capture_output=True)
    with api_workers(env) as (base,):
        limits = httpx.Limits(max_connections=args.clients + 5)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
            await http.post("/v1/ask", json={"question": "warm up"})
            version_before = (await http.get("/readyz")).json()["index_version"]
            results: list = []
            deadline = time.monotonic() + args.seconds
            rng = random.Random(5)
            tasks = [
                asyncio.create_task(client(http, deadline, results, random.Random(rng.random())))
                for _ in range(args.clients)
            ]
            # Re-index mid-run: two documents change, a writer process builds a new generation.
            await asyncio.sleep(args.seconds / 4)
            for path in sorted(corpus.glob("concepts/*.md"))[:2]:
                path.write_text(path.read_text() + "\n\nEdited during the load run.\n")
            reindex_start = time.perf_counter()
            reindex = await asyncio.create_subprocess_exec(
                hlsguide,
                "index",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            await reindex.wait()
            reindex_seconds = time.perf_counter() - reindex_start
            await asyncio.gather(*tasks)
            version_after = (await http.get("/readyz")).json()["index_version"]

    statuses = Counter(status for _, status, _ in results)
    errors = sum(n for status, n in statuses.items() if status != 200)
    print(f"{args.clients} clients, {args.seconds} s, loopback, one uvicorn worker")
    print(
        f"re-index during the run: exit {reindex.returncode} in {reindex_seconds:.1f} s; "
        f"index version {version_before} -> {version_after}"
    )
    print(
        f"requests {len(results)} ({len(results) / args.seconds:.1f}/s), errors {errors}, "
        f"statuses {dict(statuses)}"
    )
    for route in ("/v1/ask", "/v1/search"):
        times = [t for r, s, t in results if r == route and s == 200]
        if times:
            print(
                f"  {route:<11} n={len(times):5d}  p50 {percentile(times, 0.5):7.0f} ms  "
                f"p99 {percentile(times, 0.99):7.0f} ms  "
                f"mean {statistics.fmean(times) * 1000:6.0f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
