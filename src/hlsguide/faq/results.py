"""What a batch produces: one result per question, and the report the output formats render."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from hlsguide.faq import DEFAULT_TITLE
from hlsguide.faq.questions import FaqQuestion
from hlsguide.types import Answer, Publication

UNGROUPED = "Other questions"
_SOURCES_HEADING = re.compile(r"(?<!\n)\n*^### Sources\s*$", re.MULTILINE)


def now() -> datetime:
    return datetime.now(UTC)


def answer_body(answer: Answer) -> str:
    """An answer's Markdown without its trailing Sources list (formats list sources as data)."""
    return _SOURCES_HEADING.split(answer.answer, maxsplit=1)[0].strip()


class ItemResult(BaseModel):
    """A finished question: its answer, or the error that stopped it."""

    id: str
    question: str
    group: str | None = None
    mode: str
    status: Literal["ok", "failed"]
    answer: Answer | None = None
    error: str | None = None
    finished_at: datetime = Field(default_factory=now)

    def answers(self, question: FaqQuestion, mode: str) -> bool:
        """True when this is a finished answer to ``question`` in ``mode`` (so reusable)."""
        return (
            self.status == "ok"
            and self.id == question.id
            and self.question == question.question
            and self.mode == mode
        )


class BatchReport(BaseModel):
    """A batch in input order: the JSON output is exactly this model."""

    title: str = DEFAULT_TITLE
    generated_at: datetime = Field(default_factory=now)
    mode: str
    index_version: str | None = None
    items: list[ItemResult]

    @property
    def answered(self) -> list[ItemResult]:
        return [item for item in self.items if item.status == "ok"]

    @property
    def failed(self) -> list[ItemResult]:
        return [item for item in self.items if item.status == "failed"]

    def groups(self) -> list[tuple[str, list[ItemResult]]]:
        """Items by group, groups in order of first appearance."""
        grouped: dict[str, list[ItemResult]] = {}
        for item in self.items:
            grouped.setdefault(item.group or UNGROUPED, []).append(item)
        return list(grouped.items())

    def bibliography(self) -> list[Publication]:
        """Every publication the answers cite, once each, sorted as a reference list is."""
        found: dict[str, Publication] = {}
        for item in self.answered:
            for citation in item.answer.citations if item.answer else []:
                for publication in citation.publications:
                    found.setdefault(publication.id, publication)
        return sorted(found.values(), key=lambda p: p.formatted.lower())
