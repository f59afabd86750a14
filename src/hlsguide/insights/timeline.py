"""The learning loop over time: per day, how many questions were asked, refused, and answered
with low confidence (the series the console charts)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel

from hlsguide.storage.models import AnswerRecord

MAX_DAYS = 400  # a longer span is cut to its most recent days: a chart of more says nothing


class Day(BaseModel):
    day: date
    asked: int = 0
    refused: int = 0
    low_confidence: int = 0


def daily_counts(
    rows: list[AnswerRecord],
    below: float,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Day]:
    """One entry per day from ``since`` (or the first answer) to ``until`` (default today),
    days without questions included as zeros. Refused answers are not also counted as low
    confidence, as in the gaps report."""
    until_day = (until or datetime.now(UTC)).date()
    days = [_day(r.created_at) for r in rows]
    start = since.date() if since else min(days, default=until_day)
    start = max(start, until_day - timedelta(days=MAX_DAYS - 1))
    counts = {
        start + timedelta(days=n): Day(day=start + timedelta(days=n))
        for n in range((until_day - start).days + 1)
    }
    for row, day in zip(rows, days, strict=True):
        entry = counts.get(day)
        if entry is None:
            continue
        entry.asked += 1
        if row.refused:
            entry.refused += 1
        elif row.confidence < below:
            entry.low_confidence += 1
    return list(counts.values())


def _day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
