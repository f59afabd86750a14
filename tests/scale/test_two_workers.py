"""Scale-out: two uvicorn workers on one PostgreSQL and one Chroma server (both real, on
127.0.0.1). Any worker answers any request of a conversation; feedback given to either lands in
one report; a Slack retry delivered to the other worker is not answered twice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from channels.slack.conftest import BOT_TOKEN, SIGNING_SECRET, FakeSlack, event_body, mention, sign
from support.services import api_workers, chroma_server, postgres

PROJECT = Path(__file__).parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures"
HLSGUIDE = str(Path(sys.executable).parent / "hlsguide")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus)
    with (
        postgres() as database_url,
        chroma_server(root / "chroma") as chroma_url,
        FakeSlack() as slack,
    ):
        env = {
            **os.environ,
            "HLSGUIDE_DATA_DIR": str(root / "shared-data"),
            "HLSGUIDE_CORPUS_PATHS": json.dumps([str(corpus)]),
            "HLSGUIDE_DATABASE_URL": database_url,
            "HLSGUIDE_CHROMA_URL": chroma_url,
            "HLSGUIDE_BUILD_INDEX_ON_START": "false",
            "HLSGUIDE_MIN_CONFIDENCE": "0.1",
            "HLSGUIDE_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "HLSGUIDE_SLACK_BOT_TOKEN": BOT_TOKEN,
            "HLSGUIDE_SLACK_API_URL": slack.api_url,
        }
        subprocess.run([HLSGUIDE, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([HLSGUIDE, "index"], env=env, check=True, capture_output=True)
        with api_workers(env, 2) as urls:
            yield {"urls": urls, "env": env, "slack": slack}


def test_both_workers_serve_one_index(cluster):
    versions = {httpx.get(f"{url}/readyz").json()["index_version"] for url in cluster["urls"]}
    assert len(versions) == 1


def test_a_conversation_continues_on_the_other_worker(cluster):
    one, two = cluster["urls"]
    first = httpx.post(
        f"{one}/v1/ask",
        json={"question": "What is the Riverside homelessness alliance?"},
        timeout=120,
    ).json()
    follow = httpx.post(
        f"{two}/v1/ask",
        json={
            "question": "How did it pay providers?",
            "conversation_id": first["conversation_id"],
            "conversation_secret": first["conversation_secret"],
        },
        timeout=120,
    )
    assert follow.status_code == 200, follow.text
    body = follow.json()
    assert body["conversation_id"] == first["conversation_id"]
    assert "Riverside homelessness alliance" in body["standalone_query"]
    assert any(c["document_id"] == "case-riverside" for c in body["citations"])


def test_feedback_from_either_worker_is_in_one_report(cluster):
    comments = []
    for n, url in enumerate(cluster["urls"]):
        answer = httpx.post(
            f"{url}/v1/ask",
            json={"question": "Why do waiting-time targets get gamed?"},
            timeout=120,
        ).json()
        comment = f"too thin, said on worker {n}"
        response = httpx.post(
            f"{url}/v1/feedback",
            json={
                "answer_id": answer["answer_id"],
                "rating": -1,
                "comment": comment,
                "conversation_secret": answer["conversation_secret"],
            },
        )
        assert response.status_code == 201
        comments.append(comment)
    report = subprocess.run(
        [HLSGUIDE, "insights", "--format", "csv"],
        env=cluster["env"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for comment in comments:
        assert comment in report


async def test_a_slack_retry_on_the_other_worker_is_not_answered_twice(cluster):
    one, two = cluster["urls"]
    slack: FakeSlack = cluster["slack"]
    body = event_body(mention("CSCALE", "What are learning loops?"), event_id="EvScaleRetry1")
    first = httpx.post(
        f"{one}/slack/events",
        content=body,
        headers={**sign(body), "Content-Type": "application/json"},
    )
    assert first.status_code == 200
    retry = httpx.post(
        f"{two}/slack/events",
        content=body,
        headers={
            **sign(body),
            "Content-Type": "application/json",
            "X-Slack-Retry-Num": "1",
            "X-Slack-Retry-Reason": "http_timeout",
        },
    )
    assert retry.status_code == 200
    await slack.wait_count("chat.update", 1, channel="CSCALE")
    assert len(slack.find("chat.postMessage", channel="CSCALE")) == 1
    assert len(slack.find("chat.update", channel="CSCALE")) == 1
