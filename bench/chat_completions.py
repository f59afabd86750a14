"""OpenAI-compatible API benchmark: /v1/chat/completions through the official openai client
against a uvicorn server on loopback, side by side with /v1/ask on the same questions.

Prints p50/p95 of: /v1/ask (baseline), a non-streamed completion, and for a streamed one the
first chunk (the role, sent before the answer is computed), the first answer text and the end.

Usage: python bench/chat_completions.py [--questions FILE] [--rounds N] [--data-dir DIR]
(``--data-dir`` reuses a built index; without it the corpus is indexed into a temp dir.)
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import openai

from hlsguide.config import Settings
from hlsguide.retrieval.evaluation import load_questions
from hlsguide.retrieval.service import RetrievalService
from hlsguide.storage import Store
from hlsguide.storage.api_keys import create_api_key

ROOT = Path(__file__).resolve().parents[1]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[round(0.95 * (len(ordered) - 1))] * 1000


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "server:app", "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base) as http:
        for _ in range(600):
            try:
                if http.get("/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    return server, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/dev_questions.yaml"
    )
    parser.add_argument("--rounds", type=int, default=2, help="Passes over the questions.")
    parser.add_argument("--data-dir", type=Path, help="A data directory with a built index.")
    args = parser.parse_args()
    questions = [q.question for q in load_questions(args.questions)]

    data = args.data_dir or Path(tempfile.mkdtemp(prefix="hlsguide-bench-openai-"))
    settings = Settings(_env_file=None, data_dir=data, corpus_paths=[ROOT / "corpus"])
    if not RetrievalService(settings).is_ready():
        RetrievalService(settings).build()
    key, _ = create_api_key(Store(settings.resolved_database_url), "bench", ["ask"])
    env = {
        **os.environ,
        "HLSGUIDE_DATA_DIR": str(data),
        "HLSGUIDE_CORPUS_PATHS": f'["{ROOT / "corpus"}"]',
        "HLSGUIDE_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    server, base = start_server(env)
    ask, whole, first_chunk, first_text, streamed = [], [], [], [], []
    try:
        guide = openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=120)
        with httpx.Client(base_url=base, timeout=120) as http:
            http.post("/v1/ask", json={"question": "warm up: what is HLS?"}).raise_for_status()
            for _ in range(args.rounds):
                for question in questions:
                    messages = [{"role": "user", "content": question}]
                    start = time.perf_counter()
                    http.post("/v1/ask", json={"question": question}).raise_for_status()
                    ask.append(time.perf_counter() - start)

                    start = time.perf_counter()
                    guide.chat.completions.create(model="hlsguide", messages=messages)
                    whole.append(time.perf_counter() - start)

                    start = time.perf_counter()
                    stream = guide.chat.completions.create(
                        model="hlsguide", messages=messages, stream=True
                    )
                    seen_text = False
                    for n, chunk in enumerate(stream):
                        if n == 0:
                            first_chunk.append(time.perf_counter() - start)
                        if not seen_text and chunk.choices and chunk.choices[0].delta.content:
                            first_text.append(time.perf_counter() - start)
                            seen_text = True
                    streamed.append(time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"== over HTTP, {len(ask)} requests each (interleaved) ==")
    for name, samples in [
        ("/v1/ask (baseline)", ask),
        ("completion, not streamed", whole),
        ("stream: first chunk", first_chunk),
        ("stream: first answer text", first_text),
        ("stream: complete", streamed),
    ]:
        p50, p95 = percentiles(samples)
        print(f"  {name:<27} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    a50, a95 = percentiles(ask)
    w50, w95 = percentiles(whole)
    print(f"  completion overhead vs /v1/ask  p50 {w50 - a50:+7.1f} ms   p95 {w95 - a95:+7.1f} ms")


if __name__ == "__main__":
    main()
