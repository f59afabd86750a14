"""Tables. Portable types only, so SQLite (default) and PostgreSQL share one schema."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # Who may read, continue or delete it (hlsguide.privacy.owners); None for conversations
    # started before owners were kept: nobody may continue those.
    owner: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)


class AnswerRecord(Base):
    """Every answer given: the conversation turn and the learning log in one row."""

    __tablename__ = "answers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id"), index=True, nullable=True
    )
    question: Mapped[str] = mapped_column(Text)
    standalone_query: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list] = mapped_column(JSON)
    lens: Mapped[dict] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32), default="api")
    confidence: Mapped[float] = mapped_column(Float)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    fallback: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


class Feedback(Base):
    """A vote on an answer: one per voter (a second vote replaces the first)."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_answer_voter", "answer_id", "voter", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("answers.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # The voter as an owner id (hlsguide.privacy.owners); None for votes given before voters
    # were kept.
    voter: Mapped[str | None] = mapped_column(String(128), nullable=True)


class ChannelEvent(Base):
    """An inbound chat event some worker has taken; a redelivery of it (a Slack retry) is not
    answered again. Shared by every worker through the database."""

    __tablename__ = "channel_events"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


class ChannelThread(Base):
    """A chat thread (a Slack thread, a direct-message channel) and the conversation it
    continues, so a follow-up reaching any worker keeps its context."""

    __tablename__ = "channel_threads"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ConversationTurn(Base):
    """With the answer log off (HLSGUIDE_ANSWER_LOG=false), the one thing kept of an answer:
    the question text a follow-up needs, pruned after HLSGUIDE_TURN_RETENTION_HOURS."""

    __tablename__ = "conversation_turns"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    standalone_query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


class AnswerChannelData(Base):
    """Channel-supplied fields (e.g. a user id) kept with a logged answer: only those named in
    HLSGUIDE_LOG_CHANNEL_FIELDS, none by default."""

    __tablename__ = "answer_channel_data"

    answer_id: Mapped[str] = mapped_column(ForeignKey("answers.id"), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)


class FaqJob(Base):
    """A batch FAQ job submitted over the API. Its status lives here, not in a worker, so any
    worker can report it, and a worker that stops reporting (``heartbeat_at``) is replaced."""

    __tablename__ = "faq_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    mode: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    concurrency: Mapped[int] = mapped_column(Integer)
    questions: Mapped[list] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The submitting caller as an owner id (``key:<id>``), for subject access and erasure.
    owner: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)


class FaqJobItem(Base):
    """One finished question of an FAQ job (answered or failed), as the batch result holds it."""

    __tablename__ = "faq_job_items"

    job_id: Mapped[str] = mapped_column(ForeignKey("faq_jobs.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict] = mapped_column(JSON)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; the key itself is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    scopes: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Written at most once a minute per key (see api_keys.authenticate), not on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RateLimitWindow(Base):
    """Hits of one rate-limit bucket in one fixed window, shared by every worker."""

    __tablename__ = "rate_limit_windows"

    bucket: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


class AdminSession(Base):
    """A signed-in console session. Only a SHA-256 of the cookie's token is stored; the CSRF
    token of its forms lives here too, so any worker checks it."""

    __tablename__ = "admin_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Opened with an admin API key, or (key_id None) for a user the intranet's proxy named.
    key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), index=True, nullable=True)
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class FaqReview(Base):
    """A curator's decision on one answer of an FAQ job: approved (and written as a curated
    answer) or rejected, with a note."""

    __tablename__ = "faq_reviews"

    job_id: Mapped[str] = mapped_column(ForeignKey("faq_jobs.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(128), nullable=True)
    curated_file: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
