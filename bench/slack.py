"""Slack benchmark: how fast the Slack endpoint acks, and when the placeholder and the answer
reach Slack, over real HTTP.

The hlsguide server runs under uvicorn with Slack configured; a local HTTP server stands in for
slack.com and timestamps the Web API calls it receives. Every dev question is sent as a signed
app_mention event, and each is then redelivered as a Slack retry (``X-Slack-Retry-Num: 1``):

1. one at a time: ack, placeholder and final answer latency (p50/p95/max);
2. a burst (every question at once): ack latency while the answers compete for the CPU, which
   is when Slack's 3-second deadline is at risk;
3. duplicates: answers posted for a retried event (must be 0).

Usage: python bench/slack.py [--questions FILE] [--data DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hlsguide.config import Settings
from hlsguide.retrieval.evaluation import load_questions
from hlsguide.retrieval.service import RetrievalService

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SlackStandIn:
    """slack.com's chat.postMessage and chat.update, recording when each call arrived."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, dict]] = []
        app = FastAPI()

        @app.post("/api/{method}")
        async def web_api(method: str, request: Request) -> JSONResponse:
            body = await request.json()
            self.calls.append((time.perf_counter(), method, body))
            ts = body.get("ts") or f"{time.time():.6f}"
            return JSONResponse({"ok": True, "channel": body["channel"], "ts": ts})

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        threading.Thread(target=self.server.run, daemon=True).start()
        while not self.server.started:
            time.sleep(0.01)

    def first(self, method: str, channel: str) -> float | None:
        return next(
            (t for t, m, b in list(self.calls) if m == method and b["channel"] == channel), None
        )

    def count(self, method: str, channel: str) -> int:
        return sum(m == method and b["channel"] == channel for _, m, b in list(self.calls))


def signed(body: str) -> dict:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def mention(channel: str, question: str) -> tuple[str, str]:
    event_id = f"Ev{uuid.uuid4().hex[:12]}"
    event = {
        "type": "app_mention",
        "user": "U0BENCH",
        "text": f"<@U0BOT> {question}",
        "ts": f"{time.time():.6f}",
        "channel": channel,
    }
    body = {"team_id": "T0BENCH", "type": "event_callback", "event_id": event_id, "event": event}
    return event_id, json.dumps(body)


def stats(samples: list[float]) -> str:
    ordered = sorted(s * 1000 for s in samples)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    return f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms   (n={len(ordered)})"


async def deliver(http: httpx.AsyncClient, body: str, retry: bool = False) -> float:
    headers = signed(body)
    if retry:
        headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    start = time.perf_counter()
    response = await http.post("/slack/events", content=body, headers=headers)
    response.raise_for_status()
    return time.perf_counter() - start


async def wait_answered(slack: SlackStandIn, channels: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while any(slack.first("chat.update", c) is None for c in channels):
        if time.monotonic() > deadline:
            raise TimeoutError("answers did not all arrive")
        await asyncio.sleep(0.02)


async def run(base: str, slack: SlackStandIn, questions: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        _, warm = mention("CWARM", "What is HLS?")
        await deliver(http, warm)
        await wait_answered(slack, ["CWARM"])

        acks, placeholders, finals, bodies = [], [], [], {}
        for i, question in enumerate(questions):
            channel = f"CSEQ{i}"
            _, body = mention(channel, question)
            bodies[channel] = body
            sent = time.perf_counter()
            acks.append(await deliver(http, body))
            await wait_answered(slack, [channel])
            placeholders.append(slack.first("chat.postMessage", channel) - sent)
            finals.append(slack.first("chat.update", channel) - sent)
        print(f"== 1. one at a time, {len(questions)} mentions ==")
        print(f"  ack (HTTP 200)         {stats(acks)}")
        print(f"  placeholder in Slack   {stats(placeholders)}")
        print(f"  answer in Slack        {stats(finals)}")

        burst = {f"CBURST{i}": mention(f"CBURST{i}", q)[1] for i, q in enumerate(questions)}
        bodies |= burst
        burst_acks = await asyncio.gather(*(deliver(http, b) for b in burst.values()))
        await wait_answered(slack, list(burst))
        print(f"\n== 2. burst: {len(burst)} mentions at once ==")
        print(f"  ack (HTTP 200)         {stats(list(burst_acks))}")
        print(f"  over Slack's 3 s       {sum(a > 3 for a in burst_acks)}")

        retry_acks = await asyncio.gather(*(deliver(http, b, retry=True) for b in bodies.values()))
        await asyncio.sleep(3)  # time for a wrongly accepted retry to post its placeholder
        duplicates = sum(slack.count("chat.postMessage", c) - 1 for c in bodies)
        print(f"\n== 3. every event redelivered with X-Slack-Retry-Num: 1 ({len(bodies)}) ==")
        print(f"  ack (HTTP 200)         {stats(list(retry_acks))}")
        print(f"  duplicate answers      {duplicates}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/dev_questions.yaml"
    )
    parser.add_argument("--data", type=Path, help="Data dir with an index (default: a new one).")
    args = parser.parse_args()
    questions = [q.question for q in load_questions(args.questions)]

    data = args.data or Path(tempfile.mkdtemp(prefix="hlsguide-bench-slack-"))
    settings = Settings(_env_file=None, data_dir=data, corpus_paths=[ROOT / "corpus"])
    retrieval = RetrievalService(settings)
    if not retrieval.is_ready():
        retrieval.build()

    slack = SlackStandIn()
    port = free_port()
    env = {
        **os.environ,
        "HLSGUIDE_DATA_DIR": str(data),
        "HLSGUIDE_CORPUS_PATHS": f'["{ROOT / "corpus"}"]',
        "HLSGUIDE_SLACK_SIGNING_SECRET": SECRET,
        "HLSGUIDE_SLACK_BOT_TOKEN": TOKEN,
        "HLSGUIDE_SLACK_API_URL": f"http://127.0.0.1:{slack.port}/api/",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "server:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        asyncio.run(run(base, slack, questions))
    finally:
        server.terminate()
        server.wait(timeout=30)
        slack.server.should_exit = True


if __name__ == "__main__":
    main()
