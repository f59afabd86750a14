"""Citations as data: resolve ``[n]`` markers to retrieved passages, check quotes, renumber."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hlsguide.answer.passages import best_quote
from hlsguide.corpus.references import Bibliography
from hlsguide.types import Citation, Hit

MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass
class Draft:
    """A generator's output: Markdown whose ``[n]`` markers name passages 1..len(passages)."""

    markdown: str
    quotes: dict[int, str] = field(default_factory=dict)
    # The passages the markers name, when the generator added some (a unit found outside the
    # retrieved passages brings its chunk); empty means the request's passages.
    passages: list[Hit] = field(default_factory=list)


def location(hit: Hit) -> str:
    """Where the passage sits in its source: path, heading or page, character offsets."""
    chunk = hit.chunk
    place = f"p. {chunk.page}" if chunk.page else (chunk.heading or "top")
    return f"{chunk.source_path} ({place}; characters {chunk.start}-{chunk.end})"


def verify(
    draft: Draft, passages: list[Hit], bibliography: Bibliography
) -> tuple[str, list[Citation], int]:
    """Keep markers that resolve to a passage, renumber them by first use, build citations.

    Returns (markdown, citations, number of markers removed). A quote that is not an exact
    substring of its passage is replaced by the passage sentence closest to the claim.
    """
    renumber: dict[int, int] = {}
    removed = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal removed
        n = int(match.group(1))
        if not 1 <= n <= len(passages):
            removed += 1
            return ""
        renumber.setdefault(n, len(renumber) + 1)
        return f"[{renumber[n]}]"

    markdown = MARKER.sub(replace, draft.markdown)
    markdown = re.sub(r"(?<![ \t])[ \t]+([.,;:])", r"\1", markdown)  # starts only at a run's start
    citations = []
    for n, display in renumber.items():
        hit = passages[n - 1]
        quote = draft.quotes.get(n, "")
        if not quote or quote not in hit.chunk.text:
            quote = best_quote(hit.chunk.text, _claim_for(draft.markdown, n))
        keys = hit.chunk.citations or hit.chunk.references
        citations.append(
            Citation(
                n=display,
                chunk_id=hit.chunk.id,
                document_id=hit.chunk.document_id,
                title=hit.chunk.title,
                kind=hit.chunk.kind,
                heading=hit.chunk.heading,
                quote=quote,
                location=location(hit),
                publications=[p for k in keys if (p := bibliography.publication(k))],
            )
        )
    return markdown, citations, removed


def _claim_for(markdown: str, n: int) -> str:
    """The text of the sentences that cite passage ``n`` (to pick a quote that supports them)."""
    return " ".join(s for s in re.split(r"(?<=[.!?])\s+", markdown) if f"[{n}]" in s)
