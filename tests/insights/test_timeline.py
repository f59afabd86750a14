"""Questions per day for the console's chart: every day of the period, zeros included."""

from datetime import UTC, date, datetime

from hlsguide.insights.timeline import MAX_DAYS, daily_counts
from hlsguide.storage.models import AnswerRecord


def row(day: int, refused: bool = False, confidence: float = 0.9) -> AnswerRecord:
    return AnswerRecord(
        created_at=datetime(2026, 11, day, 12, tzinfo=UTC),
        refused=int(refused),
        confidence=confidence,
    )


def test_each_day_counts_asked_refused_and_low_confidence_apart():
    rows = [row(3), row(3, refused=True, confidence=0.1), row(3, confidence=0.2), row(5)]
    days = daily_counts(rows, 0.5, until=datetime(2026, 11, 6, tzinfo=UTC))
    assert [(d.day.day, d.asked, d.refused, d.low_confidence) for d in days] == [
        (3, 3, 1, 1),
        (4, 0, 0, 0),
        (5, 1, 0, 0),
        (6, 0, 0, 0),
    ]


def test_the_period_starts_at_since_and_is_bounded():
    since = datetime(2026, 11, 1, tzinfo=UTC)
    until = datetime(2026, 11, 4, tzinfo=UTC)
    days = daily_counts([], 0.5, since, until)
    assert [d.day for d in days] == [date(2026, 11, n) for n in range(1, 5)]
    long = daily_counts([], 0.5, datetime(2000, 1, 1, tzinfo=UTC), until)
    assert len(long) == MAX_DAYS
    assert long[-1].day == date(2026, 11, 4)
