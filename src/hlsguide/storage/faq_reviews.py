"""The console's side of FAQ jobs: the newest jobs, and curators' decisions on answers
(approved, with the curated file written, or rejected), each with a note and who decided."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from hlsguide.storage.models import FaqJob, FaqReview
from hlsguide.storage.store import Store


def record_review(
    store: Store,
    job_id: str,
    item_id: str,
    decision: str,
    note: str | None,
    reviewer: str | None,
    curated_file: str | None = None,
) -> FaqReview:
    """Store (or replace) the decision on one item."""
    with store.session() as session, session.begin():
        review = session.get(FaqReview, (job_id, item_id)) or FaqReview(
            job_id=job_id, item_id=item_id
        )
        review.decision = decision
        review.note = note
        review.reviewer = reviewer
        review.curated_file = curated_file
        review.decided_at = datetime.now(UTC)
        session.add(review)
    return review


def reviews_of(store: Store, job_id: str) -> dict[str, FaqReview]:
    """Decisions on a job's items, by item id."""
    with store.session() as session:
        rows = session.scalars(select(FaqReview).where(FaqReview.job_id == job_id)).all()
    return {row.item_id: row for row in rows}


def recent_faq_jobs(store: Store, limit: int = 20) -> list[FaqJob]:
    """The newest FAQ jobs first."""
    with store.session() as session:
        query = select(FaqJob).order_by(FaqJob.created_at.desc()).limit(limit)
        return list(session.scalars(query).all())
