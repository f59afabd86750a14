"""Subject access and erasure: everything stored about one person, found by the identities it
is stored under (hlsguide.privacy.owners), exported as JSON or deleted in one transaction.

A person is named as an API key (its id or name), ``slack:<user id>`` or ``teams:<Entra ID
object id>``; chat ids are turned into the HMACs they are stored as, so the export shows
identifiers as stored, never the ids themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from hlsguide.privacy.owners import CHAT_CHANNELS, chat_owner, key_owner
from hlsguide.storage.conversations import delete_conversations
from hlsguide.storage.models import (
    AdminSession,
    AnswerChannelData,
    AnswerRecord,
    ApiKey,
    Base,
    Conversation,
    ConversationTurn,
    FaqJob,
    FaqJobItem,
    FaqReview,
    Feedback,
    RateLimitWindow,
)
from hlsguide.storage.store import Store


class SubjectError(LookupError):
    """The person named cannot be found as named."""


@dataclass(frozen=True)
class Subject:
    """A person as stored: owner ids (conversations, votes, FAQ jobs), rate-limit buckets,
    and the API keys that are theirs."""

    named: str
    owners: tuple[str, ...]
    buckets: tuple[str, ...]
    key_ids: tuple[str, ...] = field(default=())


def find_subject(store: Store, user: str) -> Subject:
    """The stored identities of ``user``: ``slack:U123``, ``teams:<aad id>``, or an API key's
    id or name. Raise SubjectError for an unknown key or a name several keys share."""
    channel, _, user_id = user.partition(":")
    if channel in CHAT_CHANNELS and user_id:
        owner = chat_owner(channel, user_id, store.pseudonym).id
        # The chat channels' per-user rate-limit bucket (see their _over_rate).
        return Subject(user, (owner,), (store.pseudonym(f"{channel}:{user_id}"),))
    with store.session() as session:
        keys = list(
            session.scalars(select(ApiKey).where(or_(ApiKey.id == user, ApiKey.name == user)))
        )
    by_id = [key for key in keys if key.id == user]
    if by_id:
        keys = by_id
    if not keys:
        raise SubjectError(
            f"no API key has the id or name '{user}' (chat users are slack:<user id> or "
            "teams:<Entra ID object id>)"
        )
    if len(keys) > 1:
        ids = ", ".join(key.id for key in keys)
        raise SubjectError(f"{len(keys)} API keys are named '{user}' ({ids}): give the key id")
    key_id = keys[0].id
    return Subject(user, (key_owner(key_id).id,), (store.pseudonym(f"key:{key_id}"),), (key_id,))


def _row(row: Base, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row's columns as stored, times in ISO 8601."""
    values = {}
    for column in row.__table__.columns:
        if column.key in without:
            continue
        value = getattr(row, column.key)
        values[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return values


def export_subject(store: Store, subject: Subject) -> dict[str, Any]:
    """Everything stored about ``subject``, as JSON-ready data."""
    with store.session() as session:
        conversations = []
        for conversation in session.scalars(
            select(Conversation)
            .where(Conversation.owner.in_(subject.owners))
            .order_by(Conversation.created_at)
        ):
            answers = session.scalars(
                select(AnswerRecord)
                .where(AnswerRecord.conversation_id == conversation.id)
                .order_by(AnswerRecord.created_at)
            )
            turns = session.scalars(
                select(ConversationTurn)
                .where(ConversationTurn.conversation_id == conversation.id)
                .order_by(ConversationTurn.created_at)
            )
            conversations.append(
                {
                    **_row(conversation),
                    "answers": [_answer(session, answer) for answer in answers],
                    "turns": [_row(turn) for turn in turns],
                }
            )
        jobs = []
        for job in session.scalars(
            select(FaqJob).where(FaqJob.owner.in_(subject.owners)).order_by(FaqJob.created_at)
        ):
            items = session.scalars(select(FaqJobItem).where(FaqJobItem.job_id == job.id))
            jobs.append({**_row(job), "items": [_row(item) for item in items]})
        return {
            "user": subject.named,
            "stored_as": list(subject.owners),
            "api_keys": [
                # The key's hash is a credential's, not data about the person.
                _row(key, without=("key_hash",))
                for key in session.scalars(select(ApiKey).where(ApiKey.id.in_(subject.key_ids)))
            ],
            "conversations": conversations,
            "feedback": [
                _row(vote)
                for vote in session.scalars(
                    select(Feedback)
                    .where(Feedback.voter.in_(subject.owners))
                    .order_by(Feedback.created_at)
                )
            ],
            "faq_jobs": jobs,
            "admin_sessions": [
                _row(row, without=("token_hash", "csrf_token"))
                for row in session.scalars(
                    select(AdminSession).where(AdminSession.key_id.in_(subject.key_ids))
                )
            ],
            "rate_limit_windows": [
                _row(row)
                for row in session.scalars(
                    select(RateLimitWindow).where(RateLimitWindow.bucket.in_(subject.buckets))
                )
            ],
        }


def _answer(session: Session, answer: AnswerRecord) -> dict[str, Any]:
    channel_data = session.get(AnswerChannelData, answer.id)
    return {**_row(answer), "channel_data": channel_data.data if channel_data else None}


def delete_subject(store: Store, subject: Subject) -> dict[str, int]:
    """Delete everything stored about ``subject`` in one transaction (its API keys stay:
    revoke them with ``hlsguide keys revoke``); rows deleted per table."""
    owned_jobs = select(FaqJob.id).where(FaqJob.owner.in_(subject.owners))
    with store.session() as session, session.begin():
        deleted = delete_conversations(
            session, select(Conversation.id).where(Conversation.owner.in_(subject.owners))
        )
        statements = {
            # Votes on other people's answers (a chat user voting in a shared channel).
            "feedback": delete(Feedback).where(Feedback.voter.in_(subject.owners)),
            "faq_reviews": delete(FaqReview).where(FaqReview.job_id.in_(owned_jobs)),
            "faq_job_items": delete(FaqJobItem).where(FaqJobItem.job_id.in_(owned_jobs)),
            "faq_jobs": delete(FaqJob).where(FaqJob.owner.in_(subject.owners)),
            "admin_sessions": delete(AdminSession).where(AdminSession.key_id.in_(subject.key_ids)),
            "rate_limit_windows": delete(RateLimitWindow).where(
                RateLimitWindow.bucket.in_(subject.buckets)
            ),
        }
        for table, statement in statements.items():
            count = session.execute(statement).rowcount or 0  # type: ignore[attr-defined]
            deleted[table] = deleted.get(table, 0) + count
    return deleted
