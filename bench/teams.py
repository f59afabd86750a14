"""Teams benchmark: how fast ``/api/messages`` acknowledges, when the typing indicator and the
answer card reach the Bot Connector, and how large the cards are, over real HTTP.

The hlsguide server runs under uvicorn with Teams in development mode (no token: this measures
the bot, not Entra); a local HTTP server stands in for the connector (the activities'
``serviceUrl``) and timestamps what it receives. Every dev question is sent as a personal-chat
message, then each is redelivered:

1. one at a time: ack, typing and answer latency (p50/p95/max), card and activity sizes;
2. a burst (every question at once): ack latency while the answers compete for the CPU, which
   is when Teams' 15-second deadline is at risk;
3. duplicates: answers posted for a redelivered activity (must be 0).

Usage: python bench/teams.py [--questions FILE] [--data DIR]
"""

from __future__ import annotations

import argparse
import asyncio
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

from hlsguide.channels.teams.cards import card_bytes
from hlsguide.config import Settings
from hlsguide.retrieval.evaluation import load_questions
from hlsguide.retrieval.service import RetrievalService

ROOT = Path(__file__).resolve().parents[1]
BOT = {"id": "28:bench-bot", "name": "hlsguide"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ConnectorStandIn:
    """The Bot Connector's conversation endpoint, recording when each activity arrived."""

    def __init__(self) -> None:
        self.posts: list[tuple[float, str, dict]] = []
        app = FastAPI()

        @app.post("/v3/conversations/{rest:path}")
        async def activities(rest: str, request: Request) -> JSONResponse:
            conversation = rest.partition("/activities")[0]
            self.posts.append((time.perf_counter(), conversation, await request.json()))
            return JSONResponse({"id": uuid.uuid4().hex}, status_code=201)

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        threading.Thread(target=self.server.run, daemon=True).start()
        while not self.server.started:
            time.sleep(0.01)

    def first(self, kind: str, conversation: str) -> tuple[float, dict] | None:
        return next(
            ((t, a) for t, c, a in list(self.posts) if c == conversation and a["type"] == kind),
            None,
        )

    def count(self, kind: str, conversation: str) -> int:
        return sum(c == conversation and a["type"] == kind for _, c, a in list(self.posts))


def message(service_url: str, conversation: str, question: str) -> dict:
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:bench-user", "aadObjectId": str(uuid.uuid4())},
        "conversation": {"id": conversation, "conversationType": "personal"},
        "recipient": BOT,
        "text": question,
    }


def stats(samples: list[float], unit: str = "ms", scale: float = 1000) -> str:
    ordered = sorted(s * scale for s in samples)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    return (
        f"p50 {p50:8.1f} {unit}   p95 {p95:8.1f} {unit}   max {ordered[-1]:8.1f} {unit}"
        f"   (n={len(ordered)})"
    )


async def deliver(http: httpx.AsyncClient, activity: dict) -> float:
    start = time.perf_counter()
    response = await http.post("/api/messages", json=activity)
    if response.status_code != 202:
        raise RuntimeError(f"{response.status_code}: {response.text}")
    return time.perf_counter() - start


async def wait_answered(connector: ConnectorStandIn, conversations: list[str]) -> None:
    deadline = time.monotonic() + 600
    while any(connector.first("message", c) is None for c in conversations):
        if time.monotonic() > deadline:
            raise TimeoutError("answers did not all arrive")
        await asyncio.sleep(0.02)


async def run(base: str, connector: ConnectorStandIn, questions: list[str]) -> None:
    url = f"http://127.0.0.1:{connector.port}/"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        await deliver(http, message(url, "a:warm", "What is HLS?"))
        await wait_answered(connector, ["a:warm"])

        acks, typings, answers, cards, activities, sent = [], [], [], [], [], {}
        for i, question in enumerate(questions):
            conversation = f"a:seq{i}"
            activity = message(url, conversation, question)
            sent[conversation] = activity
            start = time.perf_counter()
            acks.append(await deliver(http, activity))
            await wait_answered(connector, [conversation])
            typing_at, _ = connector.first("typing", conversation)
            answer_at, reply = connector.first("message", conversation)
            typings.append(typing_at - start)
            answers.append(answer_at - start)
            if reply.get("attachments"):
                cards.append(card_bytes(reply["attachments"][0]["content"]))
                activities.append(card_bytes(reply))
        print(f"== 1. one at a time, {len(questions)} personal-chat questions ==")
        print(f"  ack (HTTP 202)           {stats(acks)}")
        print(f"  typing at the connector  {stats(typings)}")
        print(f"  answer at the connector  {stats(answers)}")
        print(f"  card, UTF-16 JSON        {stats(cards, 'KB', 1 / 1000)}  (limit 25 KB)")
        print(f"  activity, UTF-16 JSON    {stats(activities, 'KB', 1 / 1000)}  (limit 38 KB)")

        burst = {f"a:burst{i}": message(url, f"a:burst{i}", q) for i, q in enumerate(questions)}
        sent |= burst
        burst_acks = await asyncio.gather(*(deliver(http, a) for a in burst.values()))
        start = time.perf_counter()
        await wait_answered(connector, list(burst))
        print(f"\n== 2. burst: {len(burst)} questions at once ==")
        print(f"  ack (HTTP 202)           {stats(list(burst_acks))}")
        print(f"  over Teams' 15 s         {sum(a > 15 for a in burst_acks)}")
        print(f"  all answered after       {time.perf_counter() - start:.1f} s more")

        await asyncio.gather(*(deliver(http, a) for a in sent.values()))
        await asyncio.sleep(3)
        duplicates = sum(connector.count("message", c) - 1 for c in sent)
        print(f"\n== 3. every activity redelivered ({len(sent)}) ==")
        print(f"  duplicate answers        {duplicates}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/dev_questions.yaml"
    )
    parser.add_argument("--data", type=Path, help="Data dir with an index (default: a new one).")
    args = parser.parse_args()
    questions = [q.question for q in load_questions(args.questions)]

    data = args.data or Path(tempfile.mkdtemp(prefix="hlsguide-bench-teams-"))
    settings = Settings(_env_file=None, data_dir=data, corpus_paths=[ROOT / "corpus"])
    retrieval = RetrievalService(settings)
    if not retrieval.is_ready():
        retrieval.build()

    connector = ConnectorStandIn()
    port = free_port()
    env = {
        **os.environ,
        "HLSGUIDE_DATA_DIR": str(data),
        "HLSGUIDE_CORPUS_PATHS": f'["{ROOT / "corpus"}"]',
        "HLSGUIDE_TEAMS_ENABLED": "true",
        "HLSGUIDE_TEAMS_ALLOW_ANONYMOUS": "true",
        "HLSGUIDE_RATE_LIMIT_PER_MINUTE": "100000",
    }
    command = [sys.executable, "-m", "uvicorn", "server:app", "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        asyncio.run(run(base, connector, questions))
    finally:
        server.terminate()
        server.wait(timeout=30)
        connector.server.should_exit = True


if __name__ == "__main__":
    main()
