"""The gaps report: low-confidence and refused questions grouped by similarity, down-voted
answers with their comments, and the most-asked topics, read from the answer log."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
from pydantic import BaseModel, Field

from hlsguide.insights.clustering import greedy_clusters
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.storage import Store
from hlsguide.storage.answer_log import answers_since, feedback_since
from hlsguide.storage.models import AnswerRecord

EXAMPLES_PER_GROUP = 5
_RELATIVE = re.compile(r"^(\d{1,5})([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class AskedAs(BaseModel):
    question: str
    count: int


class GapGroup(BaseModel):
    """Similar questions the guide answered poorly or refused."""

    question: str = Field(description="The most asked phrasing.")
    asked: int
    refused: int
    mean_confidence: float
    asked_as: list[AskedAs] = Field(description="Phrasings in the group, most asked first.")
    last_asked: datetime
    channels: list[str]


class DownVoted(BaseModel):
    """An answer rated unhelpful, with what readers said."""

    answer_id: str
    question: str
    down: int
    up: int
    comments: list[str]
    confidence: float
    refused: bool
    mode: str
    answered_at: datetime


class TopicCount(BaseModel):
    kind: str = Field(description="principle, framing or topic (of the documents cited)")
    name: str
    count: int


class InsightsReport(BaseModel):
    generated_at: datetime
    since: datetime | None
    answers: int
    refused: int
    low_confidence: int
    below: float = Field(description="An answered question below this confidence is weak.")
    similarity: float = Field(description="Cosine at which questions are grouped.")
    votes_up: int
    votes_down: int
    gaps: list[GapGroup]
    down_voted: list[DownVoted]
    topics: list[TopicCount]
    topics_note: str | None = None


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'7d', '24h', '2w', or an ISO date or date-time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    value = text.strip().lower()
    if match := _RELATIVE.match(value):
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--since '{text}' is neither a span like 7d, 24h or 2w nor an ISO date like 2025-01-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _normal(question: str) -> str:
    return " ".join(question.split())


def _gaps(rows: list[AnswerRecord], embedder: Embedder, similarity: float) -> list[GapGroup]:
    by_phrasing: dict[str, list[AnswerRecord]] = defaultdict(list)
    for row in rows:
        by_phrasing[_normal(row.standalone_query)].append(row)
    # The most asked phrasings seed the groups.
    phrasings = sorted(by_phrasing, key=lambda p: (-len(by_phrasing[p]), p))
    if not phrasings:
        return []
    vectors = np.asarray(embedder.embed_documents(phrasings))
    groups = []
    for members in greedy_clusters(vectors, similarity):
        texts = [phrasings[i] for i in members]
        asked = [r for t in texts for r in by_phrasing[t]]
        groups.append(
            GapGroup(
                question=texts[0],
                asked=len(asked),
                refused=sum(r.refused for r in asked),
                mean_confidence=round(sum(r.confidence for r in asked) / len(asked), 3),
                asked_as=[AskedAs(question=t, count=len(by_phrasing[t])) for t in texts][
                    :EXAMPLES_PER_GROUP
                ],
                last_asked=_utc(max(r.created_at for r in asked)),
                channels=sorted({r.channel for r in asked}),
            )
        )
    return sorted(groups, key=lambda g: (-g.asked, -g.refused, g.mean_confidence))


def _down_voted(
    store: Store, since: datetime | None, exclude_channels: tuple[str, ...]
) -> tuple[list[DownVoted], int, int]:
    votes = [(f, a) for f, a in feedback_since(store, since) if a.channel not in exclude_channels]
    up = sum(1 for f, _ in votes if f.rating > 0)
    rated: dict[str, DownVoted] = {}
    for feedback, answer in votes:
        entry = rated.setdefault(
            answer.id,
            DownVoted(
                answer_id=answer.id,
                question=answer.question,
                down=0,
                up=0,
                comments=[],
                confidence=answer.confidence,
                refused=bool(answer.refused),
                mode=answer.mode,
                answered_at=_utc(answer.created_at),
            ),
        )
        if feedback.rating < 0:
            entry.down += 1
            if feedback.comment and feedback.comment.strip():
                entry.comments.append(feedback.comment.strip())
        else:
            entry.up += 1
    down_voted = [e for e in rated.values() if e.down > 0]
    down_voted.sort(key=lambda e: (-e.down, e.up, -e.answered_at.timestamp()))
    return down_voted, up, len(votes) - up


def _topics(rows: list[AnswerRecord], documents: dict[str, dict] | None, limit: int):
    principles: Counter[str] = Counter()
    framings: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    for row in rows:
        lens = row.lens or {}
        principles.update(lens.get("touched_principles", []))
        framings.update(flag.get("label", flag.get("name", "")) for flag in lens.get("flags", []))
        if documents is not None:
            cited = {c.get("document_id") for c in row.citations or []}
            topics.update({t for d in cited for t in documents.get(d, {}).get("topics", [])})
    counts = []
    for kind, counter in (("principle", principles), ("framing", framings), ("topic", topics)):
        counts += [TopicCount(kind=kind, name=n, count=c) for n, c in counter.most_common(limit)]
    return counts


def build_report(
    store: Store,
    embedder: Embedder,
    *,
    since: datetime | None = None,
    below: float = 0.5,
    similarity: float = 0.75,
    documents: dict[str, dict] | None = None,
    limit: int = 20,
    exclude_channels: tuple[str, ...] = ("faq",),
) -> InsightsReport:
    """Read the answer log from ``since`` on. ``documents`` (the index's document metadata)
    adds the topics of the documents answers cited; without it that part is left out.
    Batch FAQ runs (channel ``faq``) are curators' questions, so they are left out by default."""
    rows = [r for r in answers_since(store, since) if r.channel not in exclude_channels]
    weak = [r for r in rows if r.refused or r.confidence < below]
    down_voted, up, down = _down_voted(store, since, exclude_channels)
    return InsightsReport(
        generated_at=datetime.now(UTC),
        since=since,
        answers=len(rows),
        refused=sum(r.refused for r in rows),
        low_confidence=sum(1 for r in rows if not r.refused and r.confidence < below),
        below=below,
        similarity=similarity,
        votes_up=up,
        votes_down=down,
        gaps=_gaps(weak, embedder, similarity)[:limit],
        down_voted=down_voted[:limit],
        topics=_topics(rows, documents, limit),
        topics_note=None if documents is not None else "no index: document topics left out",
    )
