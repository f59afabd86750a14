"""Conversations: their ids, and the turns a follow-up reads back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hlsguide.storage.models import AnswerRecord, Conversation, ConversationTurn
from hlsguide.storage.store import Store
from hlsguide.types import Answer


class ConversationNotFoundError(LookupError):
    """No conversation has this id."""


def new_conversation(store: Store) -> str:
    """Create a conversation and return its id."""
    conversation_id = uuid.uuid4().hex
    with store.session() as session, session.begin():
        session.add(Conversation(id=conversation_id))
    return conversation_id


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
    store: Store, conversation_id: str, limit: int = 6
) -> list[AnswerRecord | ConversationTurn]:
    """The last ``limit`` turns of a conversation, oldest first: logged answers, and the
    bare turns kept while the answer log is off (both have question, standalone_query)."""
    with store.session() as session:
        if session.get(Conversation, conversation_id) is None:
            raise ConversationNotFoundError(f"no conversation with id '{conversation_id}'")
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
