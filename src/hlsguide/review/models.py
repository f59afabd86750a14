"""What a specification review returns: findings per paragraph, strengths and a summary."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hlsguide.types import Citation, LensMatch


class Paragraph(BaseModel):
    """A paragraph of the draft as read: its position, exact text and where it sits."""

    index: int = Field(description="0-based position among the draft's paragraphs.")
    text: str = Field(description="The paragraph exactly as extracted from the draft.")
    heading: str = ""
    page: int | None = None
    start: int = Field(description="Character offset of the paragraph in the extracted text.")


class Finding(BaseModel):
    """A flagged paragraph: the framings found, why they matter, what to write instead."""

    paragraph: int
    quote: str = Field(description="The paragraph's exact text.")
    heading: str = ""
    page: int | None = None
    framings: list[LensMatch] = Field(description="Each framing with the words that raised it.")
    why: str = Field(description="Why it matters in a complex system: Markdown with [n] markers.")
    instead: str = Field(description="What to write instead: Markdown with [n] markers.")
    citations: list[Citation] = Field(description="What the [n] markers resolve to, verified.")


class Strength(BaseModel):
    """A paragraph that already follows HLS practice."""

    paragraph: int
    quote: str
    strengths: list[LensMatch]


class Change(BaseModel):
    """One of the changes that matter most: a framing, what to do, the paragraphs it touches."""

    framing: str
    label: str
    change: str
    paragraphs: list[int]


class Review(BaseModel):
    """The review of one draft."""

    title: str
    paragraphs: int = Field(description="Paragraphs read from the draft.")
    reviewed: int = Field(description="Paragraphs long enough to review.")
    counts: dict[str, int] = Field(description="Flagged paragraphs per framing.")
    top_changes: list[Change] = Field(description="The (up to) three changes that matter most.")
    findings: list[Finding]
    strengths: list[Strength]
    index_version: str = Field(description="The index generation the citations come from.")
    stored_as: str | None = Field(
        None, description="Document id when the caller asked for the draft to be indexed."
    )
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
