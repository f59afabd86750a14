"""FAQ jobs: every worker reads and writes their status here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Update, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hlsguide.storage.models import FaqJob, FaqJobItem
from hlsguide.storage.store import Store


def _rows_updated(session: Session, statement: Update) -> int:
    """How many rows an UPDATE changed (SQLAlchemy's types hide ``rowcount`` behind Result)."""
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def create_faq_job(
    store: Store,
    mode: str,
    title: str,
    concurrency: int,
    questions: list[dict],
    owner: str | None = None,
) -> FaqJob:
    """Queue an FAQ job submitted by ``owner`` (an owner id, for subject access) and return
    it."""
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
        owner=owner,
    )
    with store.session() as session, session.begin():
        session.add(job)
    return job


def active_faq_jobs(store: Store) -> int:
    """How many FAQ jobs are queued or running."""
    query = select(func.count()).where(FaqJob.status.in_(("queued", "running")))
    with store.session() as session:
        return session.execute(query).scalar_one()


def faq_job(store: Store, job_id: str) -> FaqJob | None:
    """The job, or None for an unknown id."""
    with store.session() as session:
        return session.get(FaqJob, job_id)


def claim_faq_job(store: Store, job_id: str, worker: str, stale_before: datetime) -> bool:
    """Make ``worker`` the job's runner: a queued job, or a running one whose worker last
    reported before ``stale_before``. Atomic, so exactly one worker wins."""
    now = datetime.now(UTC)
    with store.session() as session, session.begin():
        claimed = _rows_updated(
            session,
            update(FaqJob)
            .where(
                FaqJob.id == job_id,
                or_(
                    FaqJob.status == "queued",
                    (FaqJob.status == "running") & (FaqJob.heartbeat_at < stale_before),
                ),
            )
            .values(status="running", worker=worker, heartbeat_at=now),
        )
        if claimed == 1:
            session.execute(
                update(FaqJob)
                .where(FaqJob.id == job_id, FaqJob.started_at.is_(None))
                .values(started_at=now)
            )
    return claimed == 1


def heartbeat_faq_job(store: Store, job_id: str, worker: str) -> bool:
    """Report that ``worker`` is still running the job; False when another took it over."""
    with store.session() as session, session.begin():
        beaten = _rows_updated(
            session,
            update(FaqJob)
            .where(FaqJob.id == job_id, FaqJob.worker == worker, FaqJob.status == "running")
            .values(heartbeat_at=datetime.now(UTC)),
        )
    return beaten == 1


def record_faq_item(store: Store, job_id: str, item_id: str, status: str, result: dict) -> bool:
    """Store a finished question of a job and count it; False if it was already stored
    (a worker that was taken over finished it late)."""
    try:
        with store.session() as session, session.begin():
            session.add(FaqJobItem(job_id=job_id, item_id=item_id, status=status, result=result))
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


def faq_job_items(store: Store, job_id: str) -> list[FaqJobItem]:
    """The finished questions of a job."""
    with store.session() as session:
        return list(session.scalars(select(FaqJobItem).where(FaqJobItem.job_id == job_id)))


def finish_faq_job(
    store: Store, job_id: str, worker: str, status: str, error: str | None = None
) -> None:
    """Close the job as ``done`` or ``failed`` (only its current worker may)."""
    with store.session() as session, session.begin():
        session.execute(
            update(FaqJob)
            .where(FaqJob.id == job_id, FaqJob.worker == worker)
            .values(status=status, error=error, finished_at=datetime.now(UTC))
        )
