"""A draft's paragraphs, read from the document the loaders produced (any supported type)."""

from __future__ import annotations

import itertools
import re

from hlsguide.review.models import Paragraph
from hlsguide.types import SourceDocument

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+")
# A PDF line that ends a sentence and is clearly shorter than the page's lines ends a paragraph.
_PDF_SHORT_LINE = 0.8


def _spans(text: str, page: int | None) -> list[tuple[int, int]]:
    """(start, end) of the paragraphs of one section's text, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in [*_BLANK_LINE.finditer(text), None]:
        end = match.start() if match else len(text)
        spans.extend(_split_block(text, cursor, end, page))
        cursor = match.end() if match else len(text)
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for line in text[start:end].split("\n"):
        spans.append((cursor, cursor + len(line)))
        cursor += len(line) + 1
    return spans


def _split_block(text: str, start: int, end: int, page: int | None) -> list[tuple[int, int]]:
    """A block is one paragraph, except a list (one per item) or PDF text (cut at short lines
    that end a sentence, since PDF extraction keeps no blank lines)."""
    lines = [(s, e) for s, e in _lines(text, start, end) if text[s:e].strip()]
    if not lines:
        return []
    if any(_LIST_ITEM.match(text[s:e]) for s, e in lines[1:]):
        cuts = [i for i, (s, e) in enumerate(lines) if i == 0 or _LIST_ITEM.match(text[s:e])]
    elif page is not None and len(lines) > 1:
        longest = max(e - s for s, e in lines)
        cuts = [0] + [
            i + 1
            for i, (s, e) in enumerate(lines[:-1])
            if text[s:e].rstrip().endswith((".", ":", ";", "!", "?"))
            and e - s < _PDF_SHORT_LINE * longest
        ]
    else:
        cuts = [0]
    bounds = [*cuts, len(lines)]
    spans = []
    for a, b in itertools.pairwise(bounds):
        s, e = lines[a][0], lines[b - 1][1]
        piece = text[s:e]
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip())
        spans.append((s, e))
    return spans


def paragraphs(document: SourceDocument) -> list[Paragraph]:
    """The draft's paragraphs in order; each text is an exact slice of its section."""
    found: list[Paragraph] = []
    for section in document.sections:
        for start, end in _spans(section.text, section.page):
            found.append(
                Paragraph(
                    index=len(found),
                    text=section.text[start:end],
                    heading=" > ".join(section.heading_path),
                    page=section.page,
                    start=section.start + start,
                )
            )
    return found
