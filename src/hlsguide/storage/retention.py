"""Retention: everything about people's questions is deleted once it is old enough."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select

from hlsguide.storage.models import (
    AnswerChannelData,
    AnswerRecord,
    ChannelEvent,
    ChannelThread,
    Conversation,
    ConversationTurn,
    FaqJob,
    FaqJobItem,
    Feedback,
    RateLimitWindow,
)
from hlsguide.storage.store import Store

# Rate-limit counts matter for the current minute only.
RATE_LIMIT_RETENTION = timedelta(hours=1)


def purge(store: Store, before: datetime) -> dict[str, int]:
    """Delete answers, feedback, conversations, turns, chat links and event claims created
    before ``before``, finished FAQ jobs submitted before it, and rate-limit counts older
    than RATE_LIMIT_RETENTION; return the rows deleted per table. Idempotent, one
    transaction: workers purging at once only find less to delete."""
    old_answers = select(AnswerRecord.id).where(AnswerRecord.created_at < before)
    old_jobs = select(FaqJob.id).where(
        FaqJob.created_at < before, FaqJob.status.in_(("done", "failed"))
    )
    minute = int((datetime.now(UTC) - RATE_LIMIT_RETENTION).timestamp() // 60)
    statements = {
        "feedback": delete(Feedback).where(
            or_(Feedback.created_at < before, Feedback.answer_id.in_(old_answers))
        ),
        "answer_channel_data": delete(AnswerChannelData).where(
            AnswerChannelData.answer_id.in_(old_answers)
        ),
        "answers": delete(AnswerRecord).where(AnswerRecord.created_at < before),
        "conversation_turns": delete(ConversationTurn).where(ConversationTurn.created_at < before),
        "channel_threads": delete(ChannelThread).where(ChannelThread.created_at < before),
        # A conversation still holding a newer answer, turn or thread is kept.
        "conversations": delete(Conversation).where(
            Conversation.created_at < before,
            Conversation.id.not_in(
                select(AnswerRecord.conversation_id).where(
                    AnswerRecord.conversation_id.is_not(None)
                )
            ),
            Conversation.id.not_in(select(ConversationTurn.conversation_id)),
            Conversation.id.not_in(select(ChannelThread.conversation_id)),
        ),
        "channel_events": delete(ChannelEvent).where(ChannelEvent.received_at < before),
        "faq_job_items": delete(FaqJobItem).where(FaqJobItem.job_id.in_(old_jobs)),
        "faq_jobs": delete(FaqJob).where(FaqJob.id.in_(old_jobs)),
        "rate_limit_windows": delete(RateLimitWindow).where(RateLimitWindow.window_start < minute),
    }
    deleted = {}
    with store.session() as session, session.begin():
        for table, statement in statements.items():
            deleted[table] = session.execute(statement).rowcount or 0  # type: ignore[attr-defined]
    return deleted
