"""What is kept of each answer: the learning log, or (log off) only what conversations need;
and the feedback given on logged answers.

With ``HLSGUIDE_ANSWER_LOG=true`` (the default) every answer is stored in full: question,
standalone query, answer, citations, lens, confidence, mode, channel, refusal, fallback; it is
also the conversation's turn, and feedback attaches to it. Channel-supplied fields (a Slack
user id, a Teams tenant) are kept only when named in ``HLSGUIDE_LOG_CHANNEL_FIELDS``.

With ``HLSGUIDE_ANSWER_LOG=false`` nothing enters the learning log. A follow-up still needs the
conversation's earlier questions, so the question and its standalone form are kept as a bare
turn: never the answer, lens, confidence or channel data, only the last few turns of each
conversation, and none older than ``HLSGUIDE_TURN_RETENTION_HOURS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hlsguide.config import Settings
from hlsguide.storage.conversations import belongs_to, record_turn, turn_columns
from hlsguide.storage.models import AnswerChannelData, AnswerRecord, Conversation, Feedback
from hlsguide.storage.store import Store
from hlsguide.types import Answer

# Follow-ups read at most this many earlier turns (conversations.history's default).
TURNS_FOLLOW_UPS_NEED = 6
# A channel field is an identifier, not a document: longer values are cut.
MAX_CHANNEL_VALUE_CHARS = 200


class AnswerNotFoundError(LookupError):
    """No answer has this id."""


def record_answer(store: Store, answer: Answer, channel: str = "api") -> None:
    """Log an answer (it is also the conversation's turn)."""
    with store.session() as session, session.begin():
        session.add(
            AnswerRecord(
                **turn_columns(store, answer),
                answer=answer.answer,
                citations=[c.model_dump() for c in answer.citations],
                lens=answer.lens.model_dump(),
                mode=answer.mode,
                channel=channel,
                confidence=answer.confidence,
                refused=int(answer.refused),
                fallback=answer.fallback,
            )
        )


def record_channel_data(store: Store, answer_id: str, data: dict[str, str]) -> None:
    """Keep channel-supplied fields with a logged answer."""
    with store.session() as session, session.begin():
        session.add(AnswerChannelData(answer_id=answer_id, data=data))


@dataclass(frozen=True)
class Vote:
    """A stored vote, and whether it is new, replaced the voter's earlier one, or repeated it."""

    id: int
    outcome: Literal["recorded", "changed", "unchanged"]


def add_feedback(
    store: Store,
    answer_id: str,
    rating: int,
    comment: str | None,
    voter: str | None = None,
    owner: str | None = None,
) -> Vote:
    """Store ``voter``'s vote on an answer: one per answer and voter, a second replacing the
    first (votes without a voter, from this process's own tools, are each kept). With
    ``owner``, the answer must be in a conversation of that owner's. Raise
    AnswerNotFoundError for an unknown answer, or one ``owner`` may not see."""
    if comment is not None:
        comment = store.redact(comment)
    try:
        return _vote(store, answer_id, rating, comment, voter, owner)
    except IntegrityError:
        # The voter's other vote landed between our read and our insert: replace it now.
        return _vote(store, answer_id, rating, comment, voter, owner)


def _vote(
    store: Store,
    answer_id: str,
    rating: int,
    comment: str | None,
    voter: str | None,
    owner: str | None,
) -> Vote:
    with store.session() as session, session.begin():
        answer = session.get(AnswerRecord, answer_id)
        if answer is None or (owner is not None and not _owns(session, answer, owner)):
            raise AnswerNotFoundError(f"no answer with id '{answer_id}'")
        earlier = None
        if voter is not None:
            earlier = session.scalar(
                select(Feedback).where(Feedback.answer_id == answer_id, Feedback.voter == voter)
            )
        if earlier is not None:
            if (earlier.rating, earlier.comment) == (rating, comment):
                return Vote(earlier.id, "unchanged")
            earlier.rating, earlier.comment = rating, comment
            earlier.created_at = datetime.now(UTC)
            return Vote(earlier.id, "changed")
        feedback = Feedback(answer_id=answer_id, rating=rating, comment=comment, voter=voter)
        session.add(feedback)
        session.flush()
        return Vote(feedback.id, "recorded")


def _owns(session: Session, answer: AnswerRecord, owner: str) -> bool:
    conversation_id = answer.conversation_id
    return belongs_to(
        session.get(Conversation, conversation_id) if conversation_id else None, owner
    )


def answers_since(store: Store, since: datetime | None = None) -> list[AnswerRecord]:
    """Logged answers, oldest first, from ``since`` on (all when None)."""
    query = select(AnswerRecord).order_by(AnswerRecord.created_at)
    if since is not None:
        query = query.where(AnswerRecord.created_at >= since)
    with store.session() as session:
        return list(session.scalars(query).all())


def feedback_since(
    store: Store, since: datetime | None = None
) -> list[tuple[Feedback, AnswerRecord]]:
    """Feedback with the answer it rates, oldest first, given from ``since`` on."""
    query = (
        select(Feedback, AnswerRecord)
        .join(AnswerRecord, Feedback.answer_id == AnswerRecord.id)
        .order_by(Feedback.created_at)
    )
    if since is not None:
        query = query.where(Feedback.created_at >= since)
    with store.session() as session:
        return [(feedback, answer) for feedback, answer in session.execute(query).all()]


class AnswerLog:
    """Records answers according to the logging settings."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def record(
        self, answer: Answer, channel: str, channel_data: Mapping[str, object] | None = None
    ) -> None:
        """Log ``answer`` in full, or keep its bare turn when the answer log is off."""
        if not self.settings.answer_log:
            keep_for = timedelta(hours=self.settings.turn_retention_hours)
            record_turn(self.store, answer, keep_for, TURNS_FOLLOW_UPS_NEED)
            return
        record_answer(self.store, answer, channel)
        kept = self.allowed(channel_data or {})
        if kept:
            record_channel_data(self.store, answer.answer_id, kept)

    def allowed(self, channel_data: Mapping[str, object]) -> dict[str, str]:
        """The channel fields the settings allow keeping, as short strings."""
        # Channel fields identify people (user_id): kept as pseudonyms, never as given.
        return {
            key: self.store.pseudonym(str(value)[:MAX_CHANNEL_VALUE_CHARS])
            for key, value in channel_data.items()
            if key in self.settings.log_channel_fields and value is not None
        }
