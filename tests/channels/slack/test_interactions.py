"""The ``/hls`` slash command and the feedback buttons, through bolt: ack with a placeholder,
the answer replaces it through the response URL; a click stores feedback on the answer."""

from __future__ import annotations

from sqlalchemy import select

from hlsguide.channels.slack.app import PLACEHOLDER
from hlsguide.channels.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, USAGE
from hlsguide.storage.models import Feedback

from .conftest import (
    action_body,
    answer_id_of,
    assert_within_slack_limits,
    command_body,
    post_signed,
    record,
    sign,
    unique,
)

FORM = "application/x-www-form-urlencoded"


async def test_slash_command_acks_then_answers_the_asker(slack_client, fake_slack, answers):
    response_url = fake_slack.response_url()
    channel = unique("C")
    question = "How do we run a learning review with providers?"

    ack = await post_signed(slack_client, command_body(question, response_url, channel), FORM)

    assert ack.status_code == 200
    assert ack.json()["response_type"] == "ephemeral"
    assert ack.json()["text"] == PLACEHOLDER
    [reply] = await fake_slack.wait_for(lambda: fake_slack.to_url(response_url))
    assert reply["body"]["replace_original"] is True
    assert reply["body"]["response_type"] == "ephemeral"
    blocks = reply["body"]["blocks"]
    assert_within_slack_limits(blocks)
    # Slash commands leave no message in the channel: the answer repeats the question.
    assert blocks[0]["type"] == "context"
    assert question in blocks[0]["elements"][0]["text"]
    stored = record(answers, answer_id_of(reply))
    assert (stored.question, stored.channel) == (question, "slack")
    # Answered through the response URL only: nothing posted to the channel.
    assert fake_slack.find("chat.postMessage", channel=channel) == []


async def test_slash_command_without_question_explains_usage(slack_client, fake_slack):
    response_url = fake_slack.response_url()
    ack = await post_signed(slack_client, command_body("  ", response_url, unique("C")), FORM)
    assert ack.status_code == 200
    assert ack.json()["text"] == USAGE


async def test_forged_slash_command_is_refused(slack_client, fake_slack):
    response_url = fake_slack.response_url()
    body = command_body("What is a learning cycle?", response_url, unique("C"))
    forged = {**sign(body), "X-Slack-Signature": sign(body + "x")["X-Slack-Signature"]}
    response = await slack_client.post(
        "/slack/events", content=body, headers={"Content-Type": FORM, **forged}
    )
    assert response.status_code == 401


def ratings(answers, answer_id: str) -> list[int]:
    with answers.store.session() as session:
        rows = session.scalars(select(Feedback).where(Feedback.answer_id == answer_id)).all()
    return sorted(row.rating for row in rows)


async def test_feedback_buttons_store_ratings(slack_client, fake_slack, answers):
    answer = answers.ask("What is a learning cycle?", channel="slack")

    up_url, down_url = fake_slack.response_url(), fake_slack.response_url()
    up = await post_signed(slack_client, action_body(FEEDBACK_UP, answer.answer_id, up_url), FORM)
    down = await post_signed(
        slack_client, action_body(FEEDBACK_DOWN, answer.answer_id, down_url, user="U0OTHER"), FORM
    )

    assert (up.status_code, down.status_code) == (200, 200)
    for url in (up_url, down_url):
        [note] = await fake_slack.wait_for(lambda url=url: fake_slack.to_url(url))
        assert note["body"]["text"].startswith("Thank you")
        assert note["body"]["response_type"] == "ephemeral"
        assert note["body"]["replace_original"] is False  # the answer and its buttons stay
    assert ratings(answers, answer.answer_id) == [-1, 1]


async def test_repeated_click_is_recorded_once(slack_client, fake_slack, answers):
    answer = answers.ask("What is system stewardship?", channel="slack")
    urls = [fake_slack.response_url(), fake_slack.response_url()]
    for url in urls:
        await post_signed(slack_client, action_body(FEEDBACK_UP, answer.answer_id, url), FORM)
        await fake_slack.wait_for(lambda url=url: fake_slack.to_url(url))
    assert fake_slack.to_url(urls[1])[0]["body"]["text"].startswith("Your feedback")
    assert ratings(answers, answer.answer_id) == [1]


async def test_feedback_on_unknown_or_malformed_answer_is_refused(slack_client, fake_slack):
    unknown, malformed = fake_slack.response_url(), fake_slack.response_url()
    await post_signed(slack_client, action_body(FEEDBACK_UP, "0" * 32, unknown), FORM)
    await post_signed(slack_client, action_body(FEEDBACK_UP, "'; drop table x", malformed), FORM)
    [note] = await fake_slack.wait_for(lambda: fake_slack.to_url(unknown))
    assert "no longer on record" in note["body"]["text"]
    [note] = await fake_slack.wait_for(lambda: fake_slack.to_url(malformed))
    assert "does not belong to an hlsguide answer" in note["body"]["text"]


async def test_forged_feedback_is_refused_and_not_stored(slack_client, answers):
    answer = answers.ask("What is a learning cycle?", channel="slack")
    body = action_body(FEEDBACK_DOWN, answer.answer_id, "http://127.0.0.1:9/unused")
    response = await slack_client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": FORM, **sign(body, secret="not-the-signing-secret")},
    )
    assert response.status_code == 401
    assert ratings(answers, answer.answer_id) == []
