"""Conversations: their ids and owners, the turns a follow-up reads back, and their deletion.

A conversation is reached only with its owner's id (hlsguide.privacy.owners): for anyone else
it does not exist, whether it does or not, so ids cannot be probed."""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from hlsguide.privacy.owners import LOCAL
from hlsguide.storage.models import (
    AnswerChannelData,
    AnswerRecord,
    ChannelThread,
    Conversation,
    ConversationTurn,
    Feedback,
)
from hlsguide.storage.store import Store
from hlsguide.types import Answer


class ConversationNotFoundError(LookupError):
    """No conversation has this id."""


def new_conversation(store: Store, owner: str = LOCAL.id) -> str:
    """Create a conversation belonging to ``owner`` and return its id."""
    conversation_id = uuid.uuid4().hex
    with store.session() as session, session.begin():
        session.add(Conversation(id=conversation_id, owner=owner))
    return conversation_id


def belongs_to(conversation: Conversation | None, owner: str) -> bool:
    """Whether ``owner`` owns ``conversation``; one without an owner is nobody's."""
    stored = conversation.owner if conversation is not None else None
    return stored is not None and hmac.compare_digest(stored, owner)


def _owned(session: Session, conversation_id: str, owner: str | None) -> Conversation:
    """The conversation if ``owner`` owns it; else ConversationNotFoundError, the same as for
    an unknown id. A conversation without an owner (from before owners were kept) is
    nobody's. ``owner`` None is this process reading its own database (tests, curators'
    tools): any conversation."""
    row = session.get(Conversation, conversation_id)
    if row is None or (owner is not None and not belongs_to(row, owner)):
        raise ConversationNotFoundError(f"no conversation with id '{conversation_id}'")
    return row


Turn = TypeVar("Turn", AnswerRecord, ConversationTurn)


def _latest(session: Session, table: type[Turn], conversation_id: str, limit: int) -> list[Turn]:
    query = (
        select(table)
        .where(table.conversation_id == conversation_id)
        .order_by(table.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def history(
    store: Store, conversation_id: str, owner: str | None = None, limit: int = 6
) -> list[AnswerRecord | ConversationTurn]:
    """The last ``limit`` turns of ``owner``'s conversation, oldest first: logged answers, and
    the bare turns kept while the answer log is off (both have question, standalone_query)."""
    with store.session() as session:
        _owned(session, conversation_id, owner)
        rows: list[AnswerRecord | ConversationTurn] = [
            *_latest(session, AnswerRecord, conversation_id, limit),
            *_latest(session, ConversationTurn, conversation_id, limit),
        ]
    rows.sort(key=lambda row: row.created_at)
    return rows[-limit:]


def turn_columns(store: Store, answer: Answer) -> dict[str, Any]:
    """What a follow-up reads back of an answer, redacted: the columns a logged answer and a
    bare turn share."""
    return {
        "id": answer.answer_id,
        "conversation_id": answer.conversation_id,
        "question": store.redact(answer.question),
        "standalone_query": store.redact(answer.standalone_query),
    }


def record_turn(store: Store, answer: Answer, keep_for: timedelta, keep_last: int = 6) -> None:
    """Keep only what a follow-up needs of an answer (the answer log is off), and prune
    turns older than ``keep_for`` and beyond the last ``keep_last`` of this conversation."""
    cutoff = datetime.now(UTC) - keep_for
    with store.session() as session, session.begin():
        session.execute(delete(ConversationTurn).where(ConversationTurn.created_at < cutoff))
        session.add(ConversationTurn(**turn_columns(store, answer)))
        session.flush()
        kept = select(ConversationTurn.id).where(
            ConversationTurn.conversation_id == answer.conversation_id
        )
        recent = kept.order_by(ConversationTurn.created_at.desc()).limit(keep_last)
        session.execute(
            delete(ConversationTurn).where(
                ConversationTurn.conversation_id == answer.conversation_id,
                ConversationTurn.id.not_in(recent.scalar_subquery()),
            )
        )


def read_conversation(
    store: Store, conversation_id: str, owner: str
) -> tuple[Conversation, list[AnswerRecord | ConversationTurn]]:
    """``owner``'s conversation and all its turns, oldest first."""
    with store.session() as session:
        conversation = _owned(session, conversation_id, owner)
        rows: list[AnswerRecord | ConversationTurn] = [
            *session.scalars(
                select(AnswerRecord).where(AnswerRecord.conversation_id == conversation_id)
            ),
            *session.scalars(
                select(ConversationTurn).where(ConversationTurn.conversation_id == conversation_id)
            ),
        ]
    rows.sort(key=lambda row: row.created_at)
    return conversation, rows


def delete_conversation(store: Store, conversation_id: str, owner: str) -> dict[str, int]:
    """Delete ``owner``'s conversation with everything hanging off it; rows deleted per
    table."""
    with store.session() as session, session.begin():
        _owned(session, conversation_id, owner)
        ids = select(Conversation.id).where(Conversation.id == conversation_id)
        return delete_conversations(session, ids)


def delete_conversations(session: Session, ids: Select) -> dict[str, int]:
    """Delete the conversations ``ids`` selects, their answers, turns, chat-thread links, and
    the feedback and channel data of those answers, in the caller's transaction; rows deleted
    per table."""
    # Materialised first: the conversations' rows go last, and the selection may read them.
    conversation_ids = list(session.scalars(ids))
    answers = select(AnswerRecord.id).where(AnswerRecord.conversation_id.in_(conversation_ids))
    statements = {
        "feedback": delete(Feedback).where(Feedback.answer_id.in_(answers)),
        "answer_channel_data": delete(AnswerChannelData).where(
            AnswerChannelData.answer_id.in_(answers)
        ),
        "answers": delete(AnswerRecord).where(AnswerRecord.conversation_id.in_(conversation_ids)),
        "conversation_turns": delete(ConversationTurn).where(
            ConversationTurn.conversation_id.in_(conversation_ids)
        ),
        "channel_threads": delete(ChannelThread).where(
            ChannelThread.conversation_id.in_(conversation_ids)
        ),
        "conversations": delete(Conversation).where(Conversation.id.in_(conversation_ids)),
    }
    return {
        table: session.execute(statement).rowcount or 0  # type: ignore[attr-defined]
        for table, statement in statements.items()
    }
