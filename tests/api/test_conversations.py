"""Conversations belong to their caller, over HTTP (httpx + ASGI, real corpus index): an API
key's, or an anonymous caller's by the secret returned with the answer. Anyone else is told
the conversation does not exist (404, never 403), to continue, read or delete it; votes are
one per answer and voter."""

import asyncio
import json

import pytest
from sqlalchemy import func, select, update

from hlsguide.storage.api_keys import create_api_key
from hlsguide.storage.models import AnswerRecord, Conversation, Feedback

QUESTION = "What is the Plymouth Alliance?"
FOLLOW_UP = "Who are its members?"


@pytest.fixture(scope="module")
def keys(app):
    """Two API keys with the ask scope: two callers."""
    store = app.state.services.store
    return [
        {"Authorization": f"Bearer {create_api_key(store, name, ['ask'])[0]}"}
        for name in ("alice", "bob")
    ]


def count(answers, table, *where) -> int:
    with answers.store.session() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


async def test_anonymous_conversation_continues_only_with_its_secret(http):
    first = (await http.post("/v1/ask", json={"question": QUESTION})).json()
    secret = first["conversation_secret"]
    assert len(secret) >= 32
    follow = {"question": FOLLOW_UP, "conversation_id": first["conversation_id"]}

    without = await http.post("/v1/ask", json=follow)
    other = (await http.post("/v1/ask", json={"question": "What is a learning cycle?"})).json()
    foreign = await http.post(
        "/v1/ask", json={**follow, "conversation_secret": other["conversation_secret"]}
    )
    own = await http.post("/v1/ask", json={**follow, "conversation_secret": secret})

    assert (without.status_code, foreign.status_code) == (404, 404)
    assert own.status_code == 200, own.text
    assert own.json()["conversation_id"] == first["conversation_id"]
    assert own.json()["conversation_secret"] == secret
    assert "Plymouth Alliance" in own.json()["standalone_query"]


async def test_stream_hands_back_the_secret_and_honours_it(http):
    first = (await http.post("/v1/ask", json={"question": QUESTION})).json()
    follow = {"question": FOLLOW_UP, "conversation_id": first["conversation_id"]}
    refused = await http.post("/v1/ask/stream", json=follow)
    assert refused.status_code == 404
    payload = {**follow, "conversation_secret": first["conversation_secret"]}
    async with http.stream("POST", "/v1/ask/stream", json=payload) as response:
        assert response.status_code == 200
        raw = "".join([chunk async for chunk in response.aiter_text()])
    done = json.loads(raw.strip().split("\n\n")[-1].split("\n")[1].removeprefix("data: "))
    assert done["conversation_id"] == first["conversation_id"]
    assert done["conversation_secret"] == first["conversation_secret"]


async def test_keyed_conversations_belong_to_their_key(http, keys):
    alice, bob = keys
    first = (await http.post("/v1/ask", json={"question": QUESTION}, headers=alice)).json()
    assert first["conversation_secret"] is None  # a key is identity enough
    follow = {"question": FOLLOW_UP, "conversation_id": first["conversation_id"]}

    by_bob = await http.post("/v1/ask", json=follow, headers=bob)
    anonymous = await http.post("/v1/ask", json={**follow, "conversation_secret": "x" * 43})
    by_alice = await http.post("/v1/ask", json=follow, headers=alice)

    assert (by_bob.status_code, anonymous.status_code) == (404, 404)
    assert by_alice.status_code == 200
    assert by_alice.json()["conversation_id"] == first["conversation_id"]


async def test_another_callers_conversation_looks_like_none(http, keys):
    alice, bob = keys
    first = (await http.post("/v1/ask", json={"question": QUESTION}, headers=alice)).json()
    conversation = first["conversation_id"]
    unknown = "0" * 32
    foreign = await http.get(f"/v1/conversations/{conversation}", headers=bob)
    missing = await http.get(f"/v1/conversations/{unknown}", headers=bob)
    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert foreign.json()["detail"].replace(conversation, unknown) == missing.json()["detail"]


async def test_owner_reads_and_deletes_their_conversation(http, keys, answers):
    alice, bob = keys
    first = (await http.post("/v1/ask", json={"question": QUESTION}, headers=alice)).json()
    conversation = first["conversation_id"]
    await http.post(
        "/v1/ask", json={"question": FOLLOW_UP, "conversation_id": conversation}, headers=alice
    )
    vote = {"answer_id": first["answer_id"], "rating": 1}
    assert (await http.post("/v1/feedback", json=vote, headers=alice)).status_code == 201
    url = f"/v1/conversations/{conversation}"

    read = await http.get(url, headers=alice)
    assert read.status_code == 200
    assert [turn["question"] for turn in read.json()["turns"]] == [QUESTION, FOLLOW_UP]
    assert read.json()["turns"][0]["answer"] == first["answer"]

    for headers in (bob, {}):
        assert (await http.delete(url, headers=headers)).status_code == 404
    assert count(answers, AnswerRecord, AnswerRecord.conversation_id == conversation) == 2

    deleted = await http.delete(url, headers=alice)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await http.get(url, headers=alice)).status_code == 404
    assert (await http.delete(url, headers=alice)).status_code == 404
    assert count(answers, AnswerRecord, AnswerRecord.conversation_id == conversation) == 0
    assert count(answers, Feedback, Feedback.answer_id == first["answer_id"]) == 0
    assert count(answers, Conversation, Conversation.id == conversation) == 0


async def test_anonymous_owner_reads_and_deletes_with_the_secret_header(http):
    first = (await http.post("/v1/ask", json={"question": QUESTION})).json()
    url = f"/v1/conversations/{first['conversation_id']}"
    held = {"X-Conversation-Secret": first["conversation_secret"]}
    assert (await http.get(url)).status_code == 404
    assert (await http.get(url, headers={"X-Conversation-Secret": "y" * 43})).status_code == 404
    assert (await http.get(url, headers=held)).json()["turns"][0]["question"] == QUESTION
    assert (await http.delete(url, headers=held)).status_code == 204
    assert (await http.get(url, headers=held)).status_code == 404


async def test_conversations_from_before_owners_are_nobodys(http, keys, answers):
    alice, _ = keys
    first = (await http.post("/v1/ask", json={"question": QUESTION}, headers=alice)).json()
    conversation = first["conversation_id"]
    with answers.store.session() as session, session.begin():  # as the migration leaves them
        session.execute(
            update(Conversation).where(Conversation.id == conversation).values(owner=None)
        )
    follow = {"question": FOLLOW_UP, "conversation_id": conversation}
    assert (await http.post("/v1/ask", json=follow, headers=alice)).status_code == 404
    assert (await http.post("/v1/ask", json=follow)).status_code == 404
    assert (
        await http.delete(f"/v1/conversations/{conversation}", headers=alice)
    ).status_code == 404
    assert count(answers, AnswerRecord, AnswerRecord.conversation_id == conversation) == 1


async def test_a_short_secret_is_refused(http):
    response = await http.post(
        "/v1/ask", json={"question": QUESTION, "conversation_secret": "guessable"}
    )
    assert response.status_code == 422
    assert "conversation_secret" in response.text


async def test_one_vote_per_answer_and_caller_changeable_not_repeatable(http, keys, answers):
    alice, bob = keys
    answer = (await http.post("/v1/ask", json={"question": QUESTION}, headers=alice)).json()
    vote = {"answer_id": answer["answer_id"], "rating": 1}

    first = await http.post("/v1/feedback", json=vote, headers=alice)
    again = await http.post("/v1/feedback", json=vote, headers=alice)
    changed = await http.post(
        "/v1/feedback", json={**vote, "rating": -1, "comment": "too general"}, headers=alice
    )
    foreign = await http.post("/v1/feedback", json=vote, headers=bob)
    anonymous = await http.post("/v1/feedback", json=vote)

    assert (first.status_code, first.json()["outcome"]) == (201, "recorded")
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")
    assert (changed.status_code, changed.json()["outcome"]) == (200, "changed")
    assert (foreign.status_code, anonymous.status_code) == (404, 404)
    with answers.store.session() as session:
        (stored,) = session.scalars(
            select(Feedback).where(Feedback.answer_id == answer["answer_id"])
        ).all()
    assert (stored.rating, stored.comment) == (-1, "too general")
    assert stored.voter.startswith("key:")


async def test_concurrent_votes_of_one_caller_count_once(http, answers):
    answer = (await http.post("/v1/ask", json={"question": QUESTION})).json()
    vote = {
        "answer_id": answer["answer_id"],
        "conversation_secret": answer["conversation_secret"],
    }
    responses = await asyncio.gather(
        *(http.post("/v1/feedback", json={**vote, "rating": (-1) ** n}) for n in range(12))
    )
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert sum(r.json()["outcome"] == "recorded" for r in responses) == 1
    assert count(answers, Feedback, Feedback.answer_id == answer["answer_id"]) == 1
    with answers.store.session() as session:
        voter = session.scalar(
            select(Feedback.voter).where(Feedback.answer_id == answer["answer_id"])
        )
    # The voter is the secret's digest, never the secret.
    assert voter.startswith("secret:")
    assert answer["conversation_secret"] not in voter
