"""Real Bot Framework activities through the SDK's FastAPI path (development mode: no token),
replies captured in the HTTP response (``expectReplies``) and at the connector stand-in."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from hlsguide.channels.teams.cards import (
    ACTIVITY_MAX_BYTES,
    CARD_MAX_BYTES,
    SHORTENED_NOTE,
    card_bytes,
)
from hlsguide.privacy.owners import chat_owner
from hlsguide.storage.models import AnswerRecord, Conversation, Feedback


def _stored(answers, answer_id: str) -> AnswerRecord:
    with answers.store.session() as session:
        return session.get(AnswerRecord, answer_id)


def _feedback(answers, answer_id: str) -> list[Feedback]:
    with answers.store.session() as session:
        return list(session.scalars(select(Feedback).where(Feedback.answer_id == answer_id)))


def _answer_id(card: dict) -> str:
    return card["actions"][0]["data"]["answer_id"]


async def _replies(client, activity: dict) -> list[dict]:
    response = await client.post("/api/messages", json=activity)
    assert response.status_code == 200, response.text
    return response.json()["activities"]


async def test_personal_chat_is_answered_in_the_response_with_a_card(
    anonymous_client, answers, rig
):
    replies = await _replies(anonymous_client, rig.activity(expect_replies=True))

    (reply,) = replies
    assert reply["type"] == "message"
    assert reply["replyToId"]
    card = rig.card(reply)
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    texts = [e["text"] for e in card["body"] if e["type"] == "TextBlock"]
    assert "In short" in texts
    assert not any(t.startswith("#") for t in texts)
    record = _stored(answers, _answer_id(card))
    assert record.channel == "teams"
    assert record.question == "How can we commission without outcome targets?"
    sources = next(e for e in card["body"] if e["type"] == "Container" and e.get("separator"))
    numbers = [t["text"].split("**")[1] for t in sources["items"][1:] if "**[" in t["text"]]
    # Every source the card's text cites (all of them unless it was shortened to fit Teams).
    cited = set(re.findall(r"\[\d+\]", " ".join(texts)))
    assert numbers == [f"[{c['n']}]" for c in record.citations if f"[{c['n']}]" in cited]
    if SHORTENED_NOTE not in texts:
        assert len(numbers) == len(record.citations)
    assert "](https://" in json.dumps(sources)  # publications link to their DOI or URL
    assert card_bytes(card) <= CARD_MAX_BYTES
    assert card_bytes(reply) <= ACTIVITY_MAX_BYTES
    assert reply["summary"]
    assert "[" not in reply["summary"]


async def test_channel_mention_is_stripped_and_answered(anonymous_client, answers, rig):
    activity = rig.activity(
        "What is a learning cycle?", conversation_type="channel", mention=True, expect_replies=True
    )
    (reply,) = await _replies(anonymous_client, activity)

    record = _stored(answers, _answer_id(rig.card(reply)))
    assert record.question == "What is a learning cycle?"
    assert reply["conversation"]["id"] == activity["conversation"]["id"]


async def test_channel_message_without_a_mention_is_ignored(anonymous_client, rig):
    activity = rig.activity("What is a learning cycle?", conversation_type="channel")
    activity["deliveryMode"] = "expectReplies"
    assert await _replies(anonymous_client, activity) == []


async def test_answer_arrives_at_the_connector_after_the_response(
    anonymous_client, answers, connector, rig
):
    activity = rig.activity(service_url=connector.service_url)
    response = await anonymous_client.post("/api/messages", json=activity)

    assert response.status_code == 202
    conversation = activity["conversation"]["id"]
    kinds = [p["activity"]["type"] for p in connector.posts]
    assert kinds == ["typing", "message"]  # typing at once, then the answer
    (answer,) = connector.messages()
    assert answer["conversation_id"] == conversation
    assert answer["reply_to"] == activity["id"]  # posted to .../activities/{question id}
    assert answer["activity"]["replyToId"] == activity["id"]
    assert answer["activity"]["recipient"]["id"] == activity["from"]["id"]
    card = rig.card(answer["activity"])
    assert _stored(answers, _answer_id(card)).channel == "teams"
    assert card_bytes(answer["activity"]) <= ACTIVITY_MAX_BYTES


async def test_follow_up_in_the_same_chat_continues_the_conversation(
    anonymous_client, answers, rig
):
    first = rig.activity("What is a learning cycle?", expect_replies=True)
    follow_up = rig.activity(
        "And how often should they run?",
        conversation_id=first["conversation"]["id"],
        expect_replies=True,
    )
    (one,) = await _replies(anonymous_client, first)
    (two,) = await _replies(anonymous_client, follow_up)

    a = _stored(answers, _answer_id(rig.card(one)))
    b = _stored(answers, _answer_id(rig.card(two)))
    assert a.conversation_id == b.conversation_id
    assert b.standalone_query.startswith(a.standalone_query)


async def test_another_chat_starts_a_new_conversation(anonymous_client, answers, rig):
    (one,) = await _replies(anonymous_client, rig.activity(expect_replies=True))
    (two,) = await _replies(anonymous_client, rig.activity(expect_replies=True))
    a = _stored(answers, _answer_id(rig.card(one)))
    b = _stored(answers, _answer_id(rig.card(two)))
    assert a.conversation_id != b.conversation_id


async def test_redelivered_activity_is_not_answered_twice(anonymous_client, connector, rig):
    activity = rig.activity(service_url=connector.service_url)
    for _ in range(2):
        response = await anonymous_client.post("/api/messages", json=activity)
        assert response.status_code == 202
    assert len(connector.messages()) == 1


async def test_bare_mention_gets_help(anonymous_client, rig):
    activity = rig.activity("", conversation_type="channel", mention=True, expect_replies=True)
    (reply,) = await _replies(anonymous_client, activity)
    assert "@mention me" in reply["text"]
    assert "attachments" not in reply


async def test_bad_question_gets_the_reason(anonymous_client, rig):
    activity = rig.activity("commissioning " * 400, expect_replies=True)
    (reply,) = await _replies(anonymous_client, activity)
    assert reply["text"].startswith("I can't take that question: the question is")
    assert "tokens long; the limit is" in reply["text"]


async def test_out_of_scope_question_gets_a_refusal_card(anonymous_client, answers, rig):
    activity = rig.activity("What is the best recipe for banana bread?", expect_replies=True)
    (reply,) = await _replies(anonymous_client, activity)
    card = rig.card(reply)
    assert _stored(answers, _answer_id(card)).refused == 1
    assert "outside what hlsguide covers" in json.dumps(card)


async def test_welcome_when_the_bot_is_added(anonymous_client, rig):
    activity = rig.activity(None, expect_replies=True)
    activity.update(type="conversationUpdate", membersAdded=[{"id": rig.bot_id}])
    (reply,) = await _replies(anonymous_client, activity)
    assert reply["text"].startswith("Hello, I am hlsguide")


async def test_feedback_action_is_stored(anonymous_client, answers, rig):
    (reply,) = await _replies(anonymous_client, rig.activity(expect_replies=True))
    card = rig.card(reply)
    answer_id = _answer_id(card)
    assert [(a["title"], a["data"]["rating"]) for a in card["actions"]] == [
        ("👍 Helpful", 1),
        ("👎 Not helpful", -1),
    ]

    response = await anonymous_client.post(
        "/api/messages", json=rig.feedback(answer_id, -1, "  Too   general  ")
    )

    assert response.status_code == 200
    assert response.json()["statusCode"] == 200
    assert "feedback is recorded" in response.json()["value"]
    (stored,) = _feedback(answers, answer_id)
    assert (stored.rating, stored.comment) == (-1, "Too general")


async def test_repeated_feedback_is_recorded_once(anonymous_client, answers, rig):
    (reply,) = await _replies(anonymous_client, rig.activity(expect_replies=True))
    answer_id = _answer_id(rig.card(reply))
    vote = rig.feedback(answer_id, 1)
    first = await anonymous_client.post("/api/messages", json=vote)
    second = await anonymous_client.post("/api/messages", json={**vote, "id": "another-id"})
    assert "recorded and helps" in first.json()["value"]
    assert "already recorded" in second.json()["value"]
    assert len(_feedback(answers, answer_id)) == 1


@pytest.mark.parametrize(
    ("answer_id", "rating", "extra", "reason"),
    [
        ("not-an-id", 1, {}, "answer_id must be"),
        ("0" * 32, 5, {}, "rating must be 1"),
        ("0" * 32, True, {}, "rating must be 1"),
        ("0" * 32, 1, {"comment": "x" * 501}, "comment is longer than 500"),
    ],
)
async def test_bad_feedback_is_refused_with_the_reason(
    anonymous_client, rig, answer_id, rating, extra, reason
):
    vote = rig.feedback(answer_id, rating)
    vote["value"]["action"]["data"].update(extra)
    response = await anonymous_client.post("/api/messages", json=vote)
    body = response.json()
    assert body["statusCode"] == 400
    assert reason in body["value"]["message"]


async def test_feedback_on_an_unknown_answer(anonymous_client, rig):
    response = await anonymous_client.post("/api/messages", json=rig.feedback("f" * 32, 1))
    assert "no longer on record" in response.json()["value"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "the body is not JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (b'{"type": "message", "text": "hi"}', 400, "conversation"),
        (b'{"type": "message", "conversation": {"id": 5}}', 400, "not a Bot Framework activity"),
        (b'{"type": "message", "x": "' + b"a" * 600_000 + b'"}', 413, "at most 512000 bytes"),
    ],
)
async def test_malformed_activities_are_refused(anonymous_client, body, status, message):
    response = await anonymous_client.post(
        "/api/messages", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert message in response.json()["error"]


async def test_only_allowed_tenants_are_answered(answers, teams_settings, rig):
    from hlsguide.api.app import create_app

    settings = teams_settings(teams_allow_anonymous=True, teams_allowed_tenants=[rig.tenant])
    async with rig.client(create_app(settings, answers.retrieval, answers)) as client:
        other = rig.activity(expect_replies=True, tenant="00000000-0000-0000-0000-000000000000")
        refused = await client.post("/api/messages", json=other)
        allowed = await client.post("/api/messages", json=rig.activity(expect_replies=True))
    assert refused.status_code == 403
    assert refused.json()["error"] == "this tenant may not use the guide"
    assert allowed.status_code == 200


async def test_each_teams_user_is_rate_limited(answers, teams_settings, rig):
    from hlsguide.api.app import create_app

    settings = teams_settings(teams_allow_anonymous=True, rate_limit_per_minute=2)
    alex = {"id": "29:1user-alex", "aadObjectId": "5f0c1c7e-0000-4000-8000-00000000a1ec"}
    sam = {"id": "29:1user-sam", "aadObjectId": "5f0c1c7e-0000-4000-8000-0000000005a3"}
    async with rig.client(create_app(settings, answers.retrieval, answers)) as client:
        replies = [
            (await _replies(client, rig.activity(expect_replies=True, **{"from": who})))[0]
            for who in (alex, alex, alex, sam)
        ]
    assert ["attachments" in r for r in replies] == [True, True, False, True]
    assert "2 questions in the last minute" in replies[2]["text"]


async def test_in_a_group_chat_each_person_continues_their_own_conversation(
    anonymous_client, answers, rig
):
    chat = "19:group-chat-of-two@unq.gbl.spaces"
    sam = {"id": "29:1user-sam", "name": "Sam", "aadObjectId": "5f0c1c7e-0000-4000-8000-0000005a3"}

    def asked(text: str, **fields) -> dict:
        return rig.activity(
            text,
            conversation_type="groupChat",
            conversation_id=chat,
            mention=True,
            expect_replies=True,
            **fields,
        )

    (alex_first,) = await _replies(anonymous_client, asked("What is the Plymouth Alliance?"))
    (sam_first,) = await _replies(
        anonymous_client, asked("What is a learning cycle?", **{"from": sam})
    )
    (alex_next,) = await _replies(anonymous_client, asked("Who are its members?"))

    alex_a, sam_a, alex_b = (
        _stored(answers, _answer_id(rig.card(reply)))
        for reply in (alex_first, sam_first, alex_next)
    )
    assert alex_a.conversation_id == alex_b.conversation_id
    assert sam_a.conversation_id != alex_a.conversation_id
    assert "Plymouth Alliance" in alex_b.standalone_query  # not Sam's question
    with answers.store.session() as session:
        owners = {session.get(Conversation, a.conversation_id).owner for a in (alex_a, sam_a)}
    # Each person's Entra ID, through the store's pseudonyms (HMACs on a server's store).
    pseudonym = answers.store.pseudonym
    assert owners == {
        chat_owner("teams", rig.alex_aad_id, pseudonym).id,
        chat_owner("teams", sam["aadObjectId"], pseudonym).id,
    }


async def test_a_second_vote_replaces_the_first(anonymous_client, answers, rig):
    (reply,) = await _replies(anonymous_client, rig.activity(expect_replies=True))
    answer_id = _answer_id(rig.card(reply))
    up = await anonymous_client.post("/api/messages", json=rig.feedback(answer_id, 1))
    down = await anonymous_client.post(
        "/api/messages", json=rig.feedback(answer_id, -1, "too general")
    )
    other = rig.feedback(answer_id, 1)
    other["from"] = {"id": "29:1user-sam", "aadObjectId": "5f0c1c7e-0000-4000-8000-0000005a3"}
    by_sam = await anonymous_client.post("/api/messages", json=other)
    assert "recorded and helps" in up.json()["value"]
    assert "is changed" in down.json()["value"]
    assert "recorded and helps" in by_sam.json()["value"]
    votes = sorted((f.rating, f.comment) for f in _feedback(answers, answer_id))
    assert votes == [(-1, "too general"), (1, None)]  # Alex's changed vote, and Sam's
