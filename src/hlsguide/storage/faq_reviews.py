"""Curators' decisions on FAQ job answers: approved (with the curated file written) or
rejected, each with an optional note and who decided."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from hlsguide.storage.models import FaqReview
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
