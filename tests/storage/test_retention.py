"""Retention: rows past HLSGUIDE_RETENTION_DAYS are purged by 'hlsguide db purge' and by every
running server, and nothing newer is touched."""

import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from support.answers import numbered_answer
from support.services import serving
from typer.testing import CliRunner

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.cli.app import app as cli
from hlsguide.storage import Store
from hlsguide.storage.answer_log import add_feedback, record_answer
from hlsguide.storage.conversations import new_conversation
from hlsguide.storage.faq_jobs import create_faq_job
from hlsguide.storage.models import (
    AnswerRecord,
    Conversation,
    FaqJob,
    Feedback,
    RateLimitWindow,
)
from hlsguide.storage.rate_limits import DatabaseRateLimiter

OLD = datetime.now(UTC) - timedelta(days=400)


def answer(store: Store, n: int, conversation: str) -> str:
    record = numbered_answer(n, conversation, "...")
    record_answer(store, record, "api")
    add_feedback(store, record.answer_id, 1, f"comment {n}")
    return record.answer_id


def seed(store: Store) -> None:
    old_conversation, kept_conversation = new_conversation(store), new_conversation(store)
    answer(store, 1, old_conversation)
    answer(store, 2, kept_conversation)  # an old conversation continued recently
    answer(store, 3, kept_conversation)
    job = create_faq_job(store, "extractive", "FAQ", 1, [{"id": "q1", "question": "x"}])
    with store.session() as session, session.begin():
        session.execute(update(FaqJob).where(FaqJob.id == job.id).values(status="done"))
        for table in (Conversation, FaqJob):
            session.execute(update(table).values(created_at=OLD))
        old_answers = AnswerRecord.id.in_(["a1", "a2"])
        session.execute(update(AnswerRecord).where(old_answers).values(created_at=OLD))
        session.execute(update(Feedback).where(Feedback.answer_id == "a1").values(created_at=OLD))
        session.add(RateLimitWindow(bucket="ip:x", window_start=int(time.time() // 60) - 600))
    DatabaseRateLimiter(store).hit("ip:y", 10, 60)


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (AnswerRecord, Feedback, Conversation, FaqJob, RateLimitWindow)
        }


# a2's feedback goes with a2; the conversation a3 continues stays.
AFTER = {"answers": 1, "feedback": 1, "conversations": 1, "faq_jobs": 0, "rate_limit_windows": 1}


def test_db_purge_deletes_only_what_is_past_retention(tmp_path, monkeypatch):
    monkeypatch.setenv("HLSGUIDE_DATA_DIR", str(tmp_path))
    store = Store(f"sqlite:///{tmp_path / 'hlsguide.db'}")
    seed(store)
    assert counts(store)["answers"] == 3
    result = CliRunner().invoke(cli, ["db", "purge", "--days", "365"])
    assert result.exit_code == 0, result.output
    assert "answers: 2 deleted" in result.output
    assert counts(store) == AFTER
    again = CliRunner().invoke(cli, ["db", "purge"])  # HLSGUIDE_RETENTION_DAYS, idempotent
    assert "answers: 0 deleted" in again.output


def test_every_server_purges_on_its_own(built):
    settings = built.settings.model_copy(update={"retention_days": 365})
    app = create_app(settings, built, AnswerService(settings, built))
    store = app.state.services.store
    seed(store)
    with serving(app) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        deadline = time.monotonic() + 30
        while counts(store) != AFTER and time.monotonic() < deadline:
            time.sleep(0.1)
    assert counts(store) == AFTER
