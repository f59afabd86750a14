"""The storage layer: one SQLAlchemy engine from ``database_url`` (SQLite file by default)."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hlsguide.storage.models import AnswerRecord, Base, Conversation, Feedback
from hlsguide.types import Answer


class ConversationNotFoundError(LookupError):
    """No conversation has this id."""


class AnswerNotFoundError(LookupError):
    """No answer has this id."""


def _engine(url: str) -> Engine:
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

    def __init__(self, url: str) -> None:
        self.engine = _engine(url)
        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._session()

    def new_conversation(self) -> str:
        """Create a conversation and return its id."""
        conversation_id = uuid.uuid4().hex
        with self.session() as session, session.begin():
            session.add(Conversation(id=conversation_id))
        return conversation_id

    def history(self, conversation_id: str, limit: int = 6) -> list[AnswerRecord]:
        """The last ``limit`` answers of a conversation, oldest first."""
        with self.session() as session:
            if session.get(Conversation, conversation_id) is None:
                raise ConversationNotFoundError(f"no conversation with id '{conversation_id}'")
            rows = session.scalars(
                select(AnswerRecord)
                .where(AnswerRecord.conversation_id == conversation_id)
                .order_by(AnswerRecord.created_at.desc())
                .limit(limit)
            ).all()
        return list(reversed(rows))

    def record_answer(self, answer: Answer, channel: str = "api") -> None:
        """Log an answer (it is also the conversation's turn)."""
        with self.session() as session, session.begin():
            session.add(
                AnswerRecord(
                    id=answer.answer_id,
                    conversation_id=answer.conversation_id,
                    question=answer.question,
                    standalone_query=answer.standalone_query,
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
            feedback = Feedback(answer_id=answer_id, rating=rating, comment=comment)
            session.add(feedback)
            session.flush()
            return feedback.id
