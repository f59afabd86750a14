"""Subject access and erasure: everything stored about one person (an API key's holder, a Slack
or a Teams user), exported with identifiers as stored, deleted in one transaction, and nobody
else's rows touched."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hlsguide.privacy.identifiers import Pseudonymizer
from hlsguide.privacy.owners import chat_owner, key_owner
from hlsguide.storage import Store
from hlsguide.storage.admin_sessions import open_session
from hlsguide.storage.answer_log import add_feedback, record_answer
from hlsguide.storage.api_keys import create_api_key
from hlsguide.storage.channel_events import link_thread
from hlsguide.storage.conversations import new_conversation
from hlsguide.storage.faq_jobs import create_faq_job
from hlsguide.storage.models import (
    AdminSession,
    AnswerRecord,
    ChannelThread,
    Conversation,
    FaqJob,
    Feedback,
    RateLimitWindow,
)
from hlsguide.storage.rate_limits import DatabaseRateLimiter
from hlsguide.storage.subjects import SubjectError, delete_subject, export_subject, find_subject
from hlsguide.types import Answer, Lens

SECRET = Pseudonymizer(b"server secret")
SLACK_USER, TEAMS_USER = "U0SLACKPERSON", "7d1c9a52-0f3e-4b8a-9c6d-2e4f6a8b0c1d"


def ask(store: Store, owner: str, n: int, question: str) -> str:
    conversation = new_conversation(store, owner)
    answer = Answer(
        answer_id=f"{n:032x}",
        question=question,
        standalone_query=question,
        answer=f"answer {n}",
        citations=[],
        lens=Lens(principles={}),
        mode="extractive",
        conversation_id=conversation,
    )
    record_answer(store, answer, "api")
    return answer.answer_id


@pytest.fixture
def seeded(tmp_path):
    """A key holder, a Slack user and a Teams user, each with a conversation; the Slack user
    votes on the Teams user's answer; the key holder submitted an FAQ job and has a console
    session and rate-limit counts."""
    store = Store(f"sqlite:///{tmp_path / 'state.db'}", pseudonym=SECRET)
    _, key = create_api_key(store, "Alice's laptop", ["ask", "admin"])
    slack = chat_owner("slack", SLACK_USER, SECRET).id
    teams = chat_owner("teams", TEAMS_USER, SECRET).id
    ids = {
        "key": ask(store, key_owner(key.id).id, 1, "How do we fund learning?"),
        "slack": ask(store, slack, 2, "What is a learning cycle?"),
        "teams": ask(store, teams, 3, "What is system stewardship?"),
    }
    add_feedback(store, ids["teams"], -1, "thin", voter=teams)
    add_feedback(store, ids["teams"], 1, None, voter=slack)  # a vote on someone else's answer
    add_feedback(store, ids["key"], 1, "useful", voter=key_owner(key.id).id)
    link_thread(store, "slack", f"T0:C0:1.0:{SLACK_USER}", conversation_of(store, ids["slack"]))
    create_faq_job(store, "extractive", "FAQ", 1, [{"id": "q1", "question": "x"}], f"key:{key.id}")
    open_session(store, key.id, timedelta(hours=1))
    limiter = DatabaseRateLimiter(store)
    limiter.hit(f"key:{key.id}", 10, 60)
    limiter.hit(f"teams:{TEAMS_USER}", 10, 60)
    return store, key, ids


def conversation_of(store: Store, answer_id: str) -> str:
    with store.session() as session:
        return session.get(AnswerRecord, answer_id).conversation_id


def counts(store: Store) -> dict[str, int]:
    tables = (Conversation, AnswerRecord, Feedback, FaqJob, AdminSession, RateLimitWindow)
    with store.session() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in tables
        }


def test_export_of_a_key_holder_holds_everything_about_them(seeded):
    store, key, ids = seeded
    for named in (key.id, "Alice's laptop"):
        exported = export_subject(store, find_subject(store, named))
        json.dumps(exported)  # JSON-ready as it is
        assert exported["stored_as"] == [f"key:{key.id}"]
        assert [k["name"] for k in exported["api_keys"]] == ["Alice's laptop"]
        assert "key_hash" not in exported["api_keys"][0]
        (conversation,) = exported["conversations"]
        assert conversation["owner"] == f"key:{key.id}"
        assert [a["question"] for a in conversation["answers"]] == ["How do we fund learning?"]
        assert [(f["answer_id"], f["comment"]) for f in exported["feedback"]] == [
            (ids["key"], "useful")
        ]
        assert [job["title"] for job in exported["faq_jobs"]] == ["FAQ"]
        assert len(exported["admin_sessions"]) == 1
        assert "token_hash" not in exported["admin_sessions"][0]
        assert [w["bucket"] for w in exported["rate_limit_windows"]] == [SECRET(f"key:{key.id}")]


def test_export_of_chat_users_shows_identifiers_as_stored(seeded):
    store, _, ids = seeded
    slack = export_subject(store, find_subject(store, f"slack:{SLACK_USER}"))
    teams = export_subject(store, find_subject(store, f"teams:{TEAMS_USER}"))
    assert slack["stored_as"] == [f"slack:{SECRET(f'slack:{SLACK_USER}')}"]
    assert [c["answers"][0]["question"] for c in slack["conversations"]] == [
        "What is a learning cycle?"
    ]
    # The Slack user's vote on the Teams user's answer is theirs; the Teams user's is not.
    assert [(f["answer_id"], f["rating"]) for f in slack["feedback"]] == [(ids["teams"], 1)]
    assert [(f["answer_id"], f["rating"]) for f in teams["feedback"]] == [(ids["teams"], -1)]
    assert len(teams["rate_limit_windows"]) == 1
    dump = json.dumps([{k: v for k, v in e.items() if k != "user"} for e in (slack, teams)])
    assert SLACK_USER not in dump
    assert TEAMS_USER not in dump


def test_delete_removes_one_person_and_no_one_else(seeded):
    store, key, _ = seeded
    before = counts(store)
    deleted = delete_subject(store, find_subject(store, f"slack:{SLACK_USER}"))
    assert deleted["conversations"] == 1
    assert deleted["answers"] == 1
    assert deleted["channel_threads"] == 1
    assert deleted["feedback"] == 1  # the vote on the Teams user's answer
    after = counts(store)
    assert after["conversations"] == before["conversations"] - 1
    assert after["feedback"] == before["feedback"] - 1
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ChannelThread)) == 0
        remaining = {f.voter for f in session.scalars(select(Feedback))}
    assert chat_owner("slack", SLACK_USER, SECRET).id not in remaining
    assert export_subject(store, find_subject(store, f"slack:{SLACK_USER}"))["conversations"] == []

    deleted = delete_subject(store, find_subject(store, key.id))
    assert deleted["faq_jobs"] == 1
    assert deleted["admin_sessions"] == 1
    assert deleted["rate_limit_windows"] == 1
    exported = export_subject(store, find_subject(store, key.id))
    assert exported["api_keys"]  # the key stays until revoked
    for part in ("conversations", "feedback", "faq_jobs", "admin_sessions", "rate_limit_windows"):
        assert exported[part] == [], part
    # The Teams user keeps everything of theirs but the vote the Slack user gave.
    teams = export_subject(store, find_subject(store, f"teams:{TEAMS_USER}"))
    assert len(teams["conversations"]) == 1
    assert len(teams["feedback"]) == 1


def test_unknown_or_ambiguous_users_are_refused(seeded):
    store, _, _ = seeded
    create_api_key(store, "shared", ["ask"])
    create_api_key(store, "shared", ["ask"])
    with pytest.raises(SubjectError, match="no API key has the id or name 'nobody'"):
        find_subject(store, "nobody")
    with pytest.raises(SubjectError, match="2 API keys are named 'shared'"):
        find_subject(store, "shared")
