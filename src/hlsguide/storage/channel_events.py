"""Chat channels' bookkeeping: inbound events claimed once across workers, and chat threads
linked to the conversations they continue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from hlsguide.storage.models import ChannelEvent, ChannelThread
from hlsguide.storage.store import Store

# Chat platforms redeliver within minutes (Slack: three retries over about five minutes).
EVENT_CLAIM_RETENTION = timedelta(days=1)


def claim_event(store: Store, channel: str, event_id: str) -> bool:
    """Take an inbound chat event for handling. False when a worker already took it (the
    event is a redelivery), so an event is answered at most once across workers. Claims
    older than ``EVENT_CLAIM_RETENTION`` are pruned: no platform redelivers that late."""
    cutoff = datetime.now(UTC) - EVENT_CLAIM_RETENTION
    try:
        with store.session() as session, session.begin():
            session.execute(delete(ChannelEvent).where(ChannelEvent.received_at < cutoff))
            session.add(ChannelEvent(channel=channel, event_id=store.pseudonym(event_id)))
    except IntegrityError:
        return False
    return True


def thread_conversation(store: Store, channel: str, thread_key: str) -> str | None:
    """The conversation a chat thread continues, or None for a thread not yet linked."""
    with store.session() as session:
        row = session.get(ChannelThread, (channel, store.pseudonym(thread_key)))
        return row.conversation_id if row else None


def link_thread(store: Store, channel: str, thread_key: str, conversation_id: str) -> str:
    """Link a chat thread to a conversation and return the conversation it continues: the
    one given, or the one another worker linked first."""
    try:
        with store.session() as session, session.begin():
            session.add(
                ChannelThread(
                    channel=channel,
                    thread_key=store.pseudonym(thread_key),
                    conversation_id=conversation_id,
                )
            )
    except IntegrityError:
        linked = thread_conversation(store, channel, thread_key)
        if linked is None:
            raise
        return linked
    return conversation_id
