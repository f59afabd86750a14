"""Mentions and direct messages on the real bolt path: ack first, a placeholder in the right
place, then the answer in its place; threads keep their conversation; retries are not
answered twice, not even by another worker."""

from __future__ import annotations

import logging
import threading

import httpx
from fastapi import FastAPI

from hlsguide.admission.limits import AnswerGate
from hlsguide.answer.service import AnswerService
from hlsguide.channels.slack import slack_router
from hlsguide.channels.slack.app import PLACEHOLDER
from hlsguide.channels.slack.blocks import USAGE
from hlsguide.storage import Store

from .conftest import (
    answer_id_of,
    assert_within_slack_limits,
    direct_message,
    event_body,
    eventually,
    mention,
    new_ts,
    post_signed,
    record,
    unique,
)

JSON = "application/json"


async def test_mention_is_answered_in_its_thread(slack_client, fake_slack, answers):
    channel, ts = unique("C"), new_ts()
    # Asked about a case whose sources carry DOIs, so the DOI links below must show.
    question = "How did hospitals game the four-hour A&E target?"
    body = event_body(mention(channel, question, ts=ts))

    response = await post_signed(slack_client, body, JSON)

    assert response.status_code == 200
    [update] = await fake_slack.wait_count("chat.update", 1, channel=channel)
    [placeholder] = fake_slack.find("chat.postMessage", channel=channel)
    # The placeholder goes into the mention's thread, and the answer replaces it there.
    assert placeholder["body"]["thread_ts"] == ts
    assert placeholder["body"]["text"] == PLACEHOLDER
    assert fake_slack.calls.index(placeholder) < fake_slack.calls.index(update)
    assert (update["body"]["channel"], update["body"]["ts"]) == (channel, placeholder["ts"])

    blocks = update["body"]["blocks"]
    assert_within_slack_limits(blocks)
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "[1]" in text
    assert "*Sources*" in text
    assert "<https://doi.org/" in text  # publications link to their DOI
    stored = record(answers, answer_id_of(update))
    assert stored.channel == "slack"
    assert stored.question == question
    assert not stored.refused


async def test_ack_returns_before_the_answer_exists(slack_settings, fake_slack, answers):
    """The answer core is held until the ack is back: the ack cannot have waited for it."""

    class HeldAnswers:
        def __init__(self, inner: AnswerService) -> None:
            self.inner, self.store, self.release = inner, inner.store, threading.Event()

        def ask(self, question, **options):
            assert self.release.wait(60), "the test never released the answer"
            return self.inner.ask(question, **options)

    held = HeldAnswers(answers)
    app = FastAPI()
    app.include_router(slack_router(slack_settings, held, held.store))
    channel = unique("C")
    body = event_body(mention(channel, "What is a learning cycle?"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await post_signed(client, body, JSON)
        assert response.status_code == 200
        assert not held.release.is_set()
        await fake_slack.wait_for(lambda: fake_slack.find("chat.postMessage", channel=channel))
        assert fake_slack.find("chat.update", channel=channel) == []
        held.release.set()
        await fake_slack.wait_for(lambda: fake_slack.find("chat.update", channel=channel))


async def test_retries_never_produce_a_second_answer(
    slack_client, slack_settings, fake_slack, answers, caplog
):
    caplog.set_level(logging.INFO, logger="hlsguide.channels.slack.app")
    channel, event_id = unique("C"), unique("Ev")
    body = event_body(mention(channel, "What is system stewardship?"), event_id=event_id)

    first = await post_signed(slack_client, body, JSON)
    retry = await post_signed(
        slack_client, body, JSON, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    await fake_slack.wait_count("chat.update", 1, channel=channel)

    # The next retry reaches another worker: its own services and database connection.
    other_worker = AnswerService(
        answers.settings,
        answers.retrieval,
        store=Store(answers.store.engine.url.render_as_string(hide_password=False)),
    )
    app = FastAPI()
    app.include_router(slack_router(slack_settings, other_worker, other_worker.store))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        late = await post_signed(
            client, body, JSON, {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
        )
        assert late.status_code == 200
        await eventually(lambda: redeliveries(caplog, event_id) == 2)

    assert len(fake_slack.find("chat.postMessage", channel=channel)) == 1
    assert len(fake_slack.find("chat.update", channel=channel)) == 1


def redeliveries(caplog, event_id: str) -> int:
    return sum(
        "redelivered" in r.getMessage() and event_id in r.getMessage() for r in caplog.records
    )


async def test_follow_up_in_the_thread_keeps_the_conversation(slack_client, fake_slack, answers):
    channel, root = unique("C"), new_ts()
    first = event_body(mention(channel, "How can we commission without outcome targets?", ts=root))
    await post_signed(slack_client, first, JSON)
    await fake_slack.wait_for(lambda: fake_slack.find("chat.update", channel=channel))

    follow_up = mention(channel, "and how do we hold providers to account then?", thread_ts=root)
    await post_signed(slack_client, event_body(follow_up), JSON)
    updates = await fake_slack.wait_count("chat.update", 2, channel=channel)

    posts = fake_slack.find("chat.postMessage", channel=channel)
    assert [p["body"]["thread_ts"] for p in posts] == [root, root]
    first_answer, second_answer = (record(answers, answer_id_of(u)) for u in updates)
    assert first_answer.conversation_id == second_answer.conversation_id
    # The follow-up was made standalone from the earlier question of the same conversation.
    assert "outcome targets" in second_answer.standalone_query

    # A mention in a new top-level message starts a new conversation.
    await post_signed(slack_client, event_body(mention(channel, "What is a learning cycle?")), JSON)
    updates = await fake_slack.wait_count("chat.update", 3, channel=channel)
    assert record(answers, answer_id_of(updates[2])).conversation_id != first_answer.conversation_id


async def test_direct_message_is_answered(slack_client, fake_slack, answers):
    channel = unique("D")
    body = event_body(direct_message(channel, "What does trust-based funding look like?"))

    assert (await post_signed(slack_client, body, JSON)).status_code == 200

    [update] = await fake_slack.wait_count("chat.update", 1, channel=channel)
    [placeholder] = fake_slack.find("chat.postMessage", channel=channel)
    assert placeholder["body"].get("thread_ts") is None  # a direct message is answered in place
    assert_within_slack_limits(update["body"]["blocks"])
    first = record(answers, answer_id_of(update))

    # The direct-message channel is one running conversation.
    await post_signed(slack_client, event_body(direct_message(channel, "and who funds it?")), JSON)
    updates = await fake_slack.wait_count("chat.update", 2, channel=channel)
    assert record(answers, answer_id_of(updates[1])).conversation_id == first.conversation_id


async def test_own_posts_and_edits_in_direct_messages_are_ignored(slack_client, fake_slack):
    channel = unique("D")
    quiet = [
        direct_message(channel, "Looking that up…", bot_id="B0HLSBOT"),
        direct_message(channel, "edited", subtype="message_changed"),
        # A mention in a direct message also arrives as message.im; only that one is answered.
        mention(channel, "What is a learning cycle?"),
    ]
    for event in quiet:
        assert (await post_signed(slack_client, event_body(event), JSON)).status_code == 200
    await post_signed(
        slack_client, event_body(direct_message(channel, "What is a learning cycle?")), JSON
    )

    await fake_slack.wait_for(lambda: fake_slack.find("chat.update", channel=channel))
    assert len(fake_slack.find("chat.postMessage", channel=channel)) == 1


async def test_empty_mention_gets_usage_and_bad_question_gets_reason(slack_client, fake_slack):
    channel, ts = unique("C"), new_ts()
    await post_signed(slack_client, event_body(mention(channel, "   ", ts=ts)), JSON)
    [usage] = await fake_slack.wait_count("chat.postMessage", 1, channel=channel)
    assert usage["body"]["text"] == USAGE
    assert usage["body"]["thread_ts"] == ts

    overlong = " ".join(["commissioning"] * 2000)
    await post_signed(slack_client, event_body(mention(channel, overlong)), JSON)
    [update] = await fake_slack.wait_count("chat.update", 1, channel=channel)
    assert update["body"]["text"].startswith("I can't take that question:")
    assert "tokens" in update["body"]["text"]


async def test_busy_guide_says_so_instead_of_queueing_forever(slack_settings, fake_slack, answers):
    gate = AnswerGate(slots=1, queue=0)
    app = FastAPI()
    app.include_router(slack_router(slack_settings, answers, answers.store, gate))
    channel = unique("C")
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
        gate.admit(),  # another request holds the only answer slot
    ):
        body = event_body(mention(channel, "What is a learning cycle?"))
        assert (await post_signed(client, body, JSON)).status_code == 200
        [update] = await fake_slack.wait_count("chat.update", 1, channel=channel)
    assert update["body"]["text"] == "The guide is busy right now. Please ask again shortly."


async def test_each_user_has_a_rate_limit(slack_settings, fake_slack, answers):
    from hlsguide.admission.limits import MemoryRateLimiter

    settings = slack_settings.model_copy(update={"rate_limit_per_minute": 1})
    app = FastAPI()
    app.include_router(
        slack_router(settings, answers, answers.store, AnswerGate(2, 10), MemoryRateLimiter())
    )
    first, second, other = unique("D"), unique("D"), unique("D")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        for channel, user in ((first, "U0LIMITED"), (second, "U0LIMITED"), (other, "U0OTHER")):
            body = event_body(direct_message(channel, "What is a learning cycle?", user=user))
            assert (await post_signed(client, body, JSON)).status_code == 200
        [one] = await fake_slack.wait_count("chat.update", 1, channel=first)
        [two] = await fake_slack.wait_count("chat.update", 1, channel=second)
        [unaffected] = await fake_slack.wait_count("chat.update", 1, channel=other)
    # Bolt runs each event's listener as its own task, so either of the limited user's two
    # questions may reach the limiter first: one is answered, the other refused.
    limit_notice = "You have reached the limit of 1 questions"
    answered, limited = sorted((one, two), key=lambda m: m["body"]["text"].startswith(limit_notice))
    assert "[1]" in str(answered["body"]["blocks"])
    assert limited["body"]["text"].startswith(limit_notice)
    assert "[1]" in str(unaffected["body"]["blocks"])
