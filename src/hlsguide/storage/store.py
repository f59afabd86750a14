"""The storage layer: one SQLAlchemy engine from ``database_url`` (SQLite file by default)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, event, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hlsguide.storage.migrate import current, head_revision, upgrade
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
from hlsguide.types import Answer

# Chat platforms redeliver within minutes (Slack: three retries over about five minutes).
EVENT_CLAIM_RETENTION = timedelta(days=1)
# Rate-limit counts matter for the current minute only.
RATE_LIMIT_RETENTION = timedelta(hours=1)


class SchemaOutdatedError(RuntimeError):
    """The database schema is behind the code and start-up migration is off."""


class ConversationNotFoundError(LookupError):
    """No conversation has this id."""


class AnswerNotFoundError(LookupError):
    """No answer has this id."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            # WAL lets readers and one writer work at once; foreign keys are off by default.
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """Conversations, answers and feedback."""

    def __init__(
        self,
        url: str,
        migrate: bool = True,
        redact: Callable[[str], str] | None = None,
        pseudonym: Callable[[str], str] | None = None,
    ) -> None:
        """Open the database; bring its schema up to date, or (``migrate=False``) insist that
        someone has (``hlsguide db upgrade``). ``redact`` is applied to every question and
        comment before it is written; ``pseudonym`` (an HMAC) to every chat thread key, event
        id and rate-limit bucket, which name people (user, DM channel, IP address)."""
        self.engine = make_engine(url)
        self.redact = redact or (lambda text: text)
        self.pseudonym = pseudonym or (lambda value: value)
        if migrate:
            upgrade(self.engine)
        elif (found := current(self.engine)) != head_revision():
            raise SchemaOutdatedError(
                f"the database schema is at {found or 'nothing'}, not {head_revision()}; "
                "run 'hlsguide db upgrade'"
            )
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._session()

    def new_conversation(self) -> str:
        """Create a conversation and return its id."""
        conversation_id = uuid.uuid4().hex
        with self.session() as session, session.begin():
            session.add(Conversation(id=conversation_id))
        return conversation_id

    def history(
        self, conversation_id: str, limit: int = 6
    ) -> list[AnswerRecord | ConversationTurn]:
        """The last ``limit`` turns of a conversation, oldest first: logged answers, and the
        bare turns kept while the answer log is off (both have question, standalone_query)."""
        with self.session() as session:
            if session.get(Conversation, conversation_id) is None:
                raise ConversationNotFoundError(f"no conversation with id '{conversation_id}'")
            rows: list[AnswerRecord | ConversationTurn] = []
            for table in (AnswerRecord, ConversationTurn):
                rows += session.scalars(
                    select(table)
                    .where(table.conversation_id == conversation_id)
                    .order_by(table.created_at.desc())
                    .limit(limit)
                ).all()
        rows.sort(key=lambda row: row.created_at)
        return rows[-limit:]

    def record_answer(self, answer: Answer, channel: str = "api") -> None:
        """Log an answer (it is also the conversation's turn)."""
        with self.session() as session, session.begin():
            session.add(
                AnswerRecord(
                    id=answer.answer_id,
                    conversation_id=answer.conversation_id,
                    question=self.redact(answer.question),
                    standalone_query=self.redact(answer.standalone_query),
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

    def add_feedback(self, answer_id: str, rating: int, comment: str | None) -> int:
        """Store feedback on an answer; raise AnswerNotFoundError for an unknown id."""
        with self.session() as session, session.begin():
            if session.get(AnswerRecord, answer_id) is None:
                raise AnswerNotFoundError(f"no answer with id '{answer_id}'")
            if comment is not None:
                comment = self.redact(comment)
            feedback = Feedback(answer_id=answer_id, rating=rating, comment=comment)
            session.add(feedback)
            session.flush()
            return feedback.id

    def claim_event(self, channel: str, event_id: str) -> bool:
        """Take an inbound chat event for handling. False when a worker already took it (the
        event is a redelivery), so an event is answered at most once across workers. Claims
        older than ``EVENT_CLAIM_RETENTION`` are pruned: no platform redelivers that late."""
        cutoff = datetime.now(UTC) - EVENT_CLAIM_RETENTION
        try:
            with self.session() as session, session.begin():
                session.execute(delete(ChannelEvent).where(ChannelEvent.received_at < cutoff))
                session.add(ChannelEvent(channel=channel, event_id=self.pseudonym(event_id)))
        except IntegrityError:
            return False
        return True

    def thread_conversation(self, channel: str, thread_key: str) -> str | None:
        """The conversation a chat thread continues, or None for a thread not yet linked."""
        with self.session() as session:
            row = session.get(ChannelThread, (channel, self.pseudonym(thread_key)))
            return row.conversation_id if row else None

    def link_thread(self, channel: str, thread_key: str, conversation_id: str) -> str:
        """Link a chat thread to a conversation and return the conversation it continues: the
        one given, or the one another worker linked first."""
        try:
            with self.session() as session, session.begin():
                session.add(
                    ChannelThread(
                        channel=channel,
                        thread_key=self.pseudonym(thread_key),
                        conversation_id=conversation_id,
                    )
                )
        except IntegrityError:
            linked = self.thread_conversation(channel, thread_key)
            if linked is None:
                raise
            return linked
        return conversation_id

    # The learning log's other halves: bare turns (log off), channel data, reading it back.

    def record_turn(self, answer: Answer, keep_for: timedelta, keep_last: int = 6) -> None:
        """Keep only what a follow-up needs of an answer (the answer log is off), and prune
        turns older than ``keep_for`` and beyond the last ``keep_last`` of this conversation."""
        cutoff = datetime.now(UTC) - keep_for
        with self.session() as session, session.begin():
            session.execute(delete(ConversationTurn).where(ConversationTurn.created_at < cutoff))
            session.add(
                ConversationTurn(
                    id=answer.answer_id,
                    conversation_id=answer.conversation_id,
                    question=self.redact(answer.question),
                    standalone_query=self.redact(answer.standalone_query),
                )
            )
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

    def record_channel_data(self, answer_id: str, data: dict[str, str]) -> None:
        """Keep channel-supplied fields with a logged answer."""
        with self.session() as session, session.begin():
            session.add(AnswerChannelData(answer_id=answer_id, data=data))

    def answers_since(self, since: datetime | None = None) -> list[AnswerRecord]:
        """Logged answers, oldest first, from ``since`` on (all when None)."""
        query = select(AnswerRecord).order_by(AnswerRecord.created_at)
        if since is not None:
            query = query.where(AnswerRecord.created_at >= since)
        with self.session() as session:
            return list(session.scalars(query).all())

    def feedback_since(self, since: datetime | None = None) -> list[tuple[Feedback, AnswerRecord]]:
        """Feedback with the answer it rates, oldest first, given from ``since`` on."""
        query = (
            select(Feedback, AnswerRecord)
            .join(AnswerRecord, Feedback.answer_id == AnswerRecord.id)
            .order_by(Feedback.created_at)
        )
        if since is not None:
            query = query.where(Feedback.created_at >= since)
        with self.session() as session:
            return [(feedback, answer) for feedback, answer in session.execute(query).all()]

    # FAQ jobs: every worker reads and writes their status here.

    def create_faq_job(
        self, mode: str, title: str, concurrency: int, questions: list[dict]
    ) -> FaqJob:
        """Queue an FAQ job and return it."""
        job = FaqJob(
            id=uuid.uuid4().hex,
            status="queued",
            mode=mode,
            title=title,
            concurrency=concurrency,
            questions=questions,
            total=len(questions),
            answered=0,
            failed=0,
        )
        with self.session() as session, session.begin():
            session.add(job)
        return job

    def active_faq_jobs(self) -> int:
        """How many FAQ jobs are queued or running."""
        query = select(func.count()).where(FaqJob.status.in_(("queued", "running")))
        with self.session() as session:
            return session.execute(query).scalar_one()

    def faq_job(self, job_id: str) -> FaqJob | None:
        """The job, or None for an unknown id."""
        with self.session() as session:
            return session.get(FaqJob, job_id)

    def claim_faq_job(self, job_id: str, worker: str, stale_before: datetime) -> bool:
        """Make ``worker`` the job's runner: a queued job, or a running one whose worker last
        reported before ``stale_before``. Atomic, so exactly one worker wins."""
        now = datetime.now(UTC)
        with self.session() as session, session.begin():
            claimed = session.execute(
                update(FaqJob)
                .where(
                    FaqJob.id == job_id,
                    or_(
                        FaqJob.status == "queued",
                        (FaqJob.status == "running") & (FaqJob.heartbeat_at < stale_before),
                    ),
                )
                .values(status="running", worker=worker, heartbeat_at=now)
            )
            if claimed.rowcount == 1:
                session.execute(
                    update(FaqJob)
                    .where(FaqJob.id == job_id, FaqJob.started_at.is_(None))
                    .values(started_at=now)
                )
        return claimed.rowcount == 1

    def heartbeat_faq_job(self, job_id: str, worker: str) -> bool:
        """Report that ``worker`` is still running the job; False when another took it over."""
        with self.session() as session, session.begin():
            result = session.execute(
                update(FaqJob)
                .where(FaqJob.id == job_id, FaqJob.worker == worker, FaqJob.status == "running")
                .values(heartbeat_at=datetime.now(UTC))
            )
        return result.rowcount == 1

    def record_faq_item(self, job_id: str, item_id: str, status: str, result: dict) -> bool:
        """Store a finished question of a job and count it; False if it was already stored
        (a worker that was taken over finished it late)."""
        try:
            with self.session() as session, session.begin():
                session.add(
                    FaqJobItem(job_id=job_id, item_id=item_id, status=status, result=result)
                )
                session.flush()
                counter = FaqJob.answered if status == "ok" else FaqJob.failed
                session.execute(
                    update(FaqJob)
                    .where(FaqJob.id == job_id)
                    .values({counter: counter + 1, FaqJob.heartbeat_at: datetime.now(UTC)})
                )
        except IntegrityError:
            return False
        return True

    def faq_job_items(self, job_id: str) -> list[FaqJobItem]:
        """The finished questions of a job."""
        with self.session() as session:
            return list(session.scalars(select(FaqJobItem).where(FaqJobItem.job_id == job_id)))

    def finish_faq_job(self, job_id: str, worker: str, status: str, error: str | None = None):
        """Close the job as ``done`` or ``failed`` (only its current worker may)."""
        with self.session() as session, session.begin():
            session.execute(
                update(FaqJob)
                .where(FaqJob.id == job_id, FaqJob.worker == worker)
                .values(status=status, error=error, finished_at=datetime.now(UTC))
            )

    # Retention: everything about people's questions is deleted once it is old enough.

    def purge(self, before: datetime) -> dict[str, int]:
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
            "conversation_turns": delete(ConversationTurn).where(
                ConversationTurn.created_at < before
            ),
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
            "rate_limit_windows": delete(RateLimitWindow).where(
                RateLimitWindow.window_start < minute
            ),
        }
        deleted = {}
        with self.session() as session, session.begin():
            for table, statement in statements.items():
                deleted[table] = session.execute(statement).rowcount or 0
        return deleted
