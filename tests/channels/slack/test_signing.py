"""Request signing, verified by bolt on the real request path: Slack's signature is accepted,
anything else is refused with 401 before a listener runs or a Web API call leaves."""

from __future__ import annotations

import json
import time

import pytest

from .conftest import BOT_TOKEN, SIGNING_SECRET, event_body, mention, sign, unique

JSON = "application/json"


async def test_signed_url_verification_is_answered(slack_client, fake_slack):
    body = json.dumps(
        {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = await slack_client.post(
        "/slack/events", content=body, headers={"Content-Type": JSON, **sign(body)}
    )
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def _forgeries(body: str) -> dict[str, tuple[str, dict]]:
    """(body sent, headers sent) for each way a request can fail verification."""
    now = int(time.time())
    good = sign(body)
    tampered = body.replace("outcome", "0utcome", 1)
    return {
        "body tampered by one byte": (tampered, good),
        "signed with another secret": (body, sign(body, secret=SIGNING_SECRET[::-1])),
        "wrong version prefix": (
            body,
            {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1=")},
        ),
        "no signature": (body, {"X-Slack-Request-Timestamp": str(now)}),
        "no timestamp": (body, {"X-Slack-Signature": good["X-Slack-Signature"]}),
        "timestamp 301 s old": (body, sign(body, timestamp=now - 301)),
        # Ahead by more than the 301 s of the stale case: the request reaches the verifier a
        # moment after ``now``, which brings a future timestamp closer to the window, not further.
        "timestamp 330 s ahead": (body, sign(body, timestamp=now + 330)),
        "old signature replayed with a fresh timestamp": (
            body,
            {**sign(body, timestamp=now - 400), "X-Slack-Request-Timestamp": str(now)},
        ),
    }


FORGERIES = list(_forgeries("x"))


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_forged_event_is_refused(slack_client, fake_slack, forgery):
    channel = unique("C")
    body = event_body(mention(channel, "How can we commission without outcome targets?"))
    sent, headers = _forgeries(body)[forgery]
    response = await slack_client.post(
        "/slack/events", content=sent, headers={"Content-Type": JSON, **headers}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid request"}
    assert fake_slack.find("chat.postMessage", channel=channel) == []


async def test_signature_within_the_window_is_accepted(slack_client, fake_slack):
    # 290 s old is inside Slack's 5-minute window: accepted (and answered).
    channel = unique("C")
    body = event_body(mention(channel, "What is a learning cycle?"))
    response = await slack_client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": JSON, **sign(body, timestamp=int(time.time()) - 290)},
    )
    assert response.status_code == 200
    await fake_slack.wait_for(lambda: fake_slack.find("chat.update", channel=channel))


async def test_unsigned_request_without_length_or_too_large_is_refused(slack_client):
    huge = "x" * 1_000_001
    response = await slack_client.post(
        "/slack/events", content=huge, headers={"Content-Type": JSON, **sign(huge)}
    )
    assert response.status_code == 413

    async def chunks():
        yield b"{}"

    response = await slack_client.post(
        "/slack/events", content=chunks(), headers={"Content-Type": JSON, **sign("{}")}
    )
    assert response.status_code == 411


async def test_token_comes_from_settings_and_auth_test_is_never_called(slack_client, fake_slack):
    channel = unique("C")
    body = event_body(mention(channel, "What is system stewardship?"))
    headers = {"Content-Type": JSON, **sign(body)}
    await slack_client.post("/slack/events", content=body, headers=headers)
    await fake_slack.wait_for(lambda: fake_slack.find("chat.update", channel=channel))
    calls = fake_slack.find("chat.postMessage", channel=channel)
    calls += fake_slack.find("chat.update", channel=channel)
    assert {call["auth"] for call in calls} == {f"Bearer {BOT_TOKEN}"}
    assert fake_slack.find("auth.test") == []
