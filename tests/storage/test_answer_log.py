"""The answer log settings: full log (default), log off (only the turns follow-ups need, pruned
by age and count), and which channel-supplied fields are kept."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from support.answers import numbered_answer

from hlsguide.answer.service import AnswerService
from hlsguide.bootstrap import build_services
from hlsguide.storage import AnswerNotFoundError, Store
from hlsguide.storage.answer_log import add_feedback, answers_since
from hlsguide.storage.conversations import history, new_conversation, record_turn
from hlsguide.storage.models import AnswerChannelData, AnswerRecord, ConversationTurn


def service(settings, built, **changes) -> AnswerService:
    # Built by the composition root, as in the server: its store redacts and pseudonymises.
    return build_services(settings.model_copy(update=changes), retrieval=built).answers


def count(store, table) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_by_default_every_answer_is_logged_without_channel_data(settings, built):
    answers = service(settings, built)
    answer = answers.ask(
        "Why do waiting-time targets get gamed?", channel="slack", channel_data={"user_id": "U1"}
    )
    [row] = answers_since(answers.store)
    assert (row.id, row.channel, row.confidence) == (answer.answer_id, "slack", answer.confidence)
    assert row.lens == answer.lens.model_dump()
    assert count(answers.store, AnswerChannelData) == 0  # no personal data unless configured


def test_only_the_configured_channel_fields_are_kept(settings, built):
    answers = service(settings, built, log_channel_fields=["user_id"])
    answer = answers.ask(
        "Why do waiting-time targets get gamed?",
        channel="slack",
        channel_data={"user_id": "U123", "email": "ada@example.org", "name": "Ada"},
    )
    with answers.store.session() as session:
        kept = session.get(AnswerChannelData, answer.answer_id)
    # kept as a pseudonym: the same user matches across answers, the id itself is not stored
    assert kept.data == {"user_id": answers.store.pseudonym("U123")}
    assert "U123" not in str(kept.data)


def test_with_the_log_off_follow_ups_still_work_and_nothing_else_is_kept(settings, built):
    answers = service(settings, built, answer_log=False, log_channel_fields=["user_id"])
    first = answers.ask("What is the Riverside alliance?", channel_data={"user_id": "U1"})
    follow = answers.ask("Who are its members?", conversation_id=first.conversation_id)
    assert follow.standalone_query == "What is the Riverside alliance? Who are its members?"
    assert count(answers.store, AnswerRecord) == 0
    assert count(answers.store, AnswerChannelData) == 0
    with answers.store.session() as session:
        turns = session.scalars(select(ConversationTurn)).all()
    assert {(t.question, t.standalone_query) for t in turns} == {
        ("What is the Riverside alliance?", "What is the Riverside alliance?"),
        ("Who are its members?", "What is the Riverside alliance? Who are its members?"),
    }
    with pytest.raises(AnswerNotFoundError):  # nothing to attach feedback to
        add_feedback(answers.store, first.answer_id, -1, "no")


def test_bare_turns_are_pruned_by_age_and_by_count(settings):
    store = Store(settings.resolved_database_url)
    old_conversation, conversation = new_conversation(store), new_conversation(store)
    record_turn(store, numbered_answer(0, old_conversation), timedelta(hours=24), keep_last=6)
    with store.session() as session, session.begin():
        session.execute(
            update(ConversationTurn).values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
    for n in range(1, 9):
        record_turn(store, numbered_answer(n, conversation), timedelta(hours=24), keep_last=6)
    with store.session() as session:
        kept = session.scalars(select(ConversationTurn.id)).all()
    assert sorted(kept) == [f"a{n}" for n in range(3, 9)]  # the stale turn and the oldest two
    assert [t.question for t in history(store, conversation)] == [
        f"question {n}" for n in range(3, 9)
    ]
