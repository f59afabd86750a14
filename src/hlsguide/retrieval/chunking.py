"""Token-bounded chunking of sections, keeping sentence boundaries and source offsets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from hlsguide.corpus.markup import citation_keys
from hlsguide.retrieval.tokens import count_tokens, encoding
from hlsguide.types import Chunk, Section, SourceDocument

# Sentence-ish units: a sentence end, or a line break (list items, table rows).
_UNIT = re.compile(r"[^\n]+?(?:[.!?](?:\*\*|__)?(?=\s)|$)|\n", re.M)


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) spans of sentence-like units (sentences, list items), whitespace trimmed."""
    for match in _UNIT.finditer(text):
        start, end = match.span()
        piece = text[start:end]
        if not piece.strip():
            continue
        start += len(piece) - len(piece.lstrip())
        end -= len(piece) - len(piece.rstrip())
        yield start, end


def _split_long(text: str, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long unit at token boundaries (offsets from tiktoken's decode_with_offsets)."""
    tokens = encoding().encode(text[start:end], disallowed_special=())
    _, offsets = encoding().decode_with_offsets(tokens)
    for i in range(0, len(tokens), size):
        piece_start = start + offsets[i]
        piece_end = start + offsets[i + size] if i + size < len(tokens) else end
        piece = text[piece_start:piece_end]
        if piece.strip():
            yield (
                piece_start + len(piece) - len(piece.lstrip()),
                piece_end - len(piece) + len(piece.rstrip()),
            )


def split_section(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Pack units into spans of at most ``size`` tokens, repeating up to ``overlap`` tokens."""
    units: list[tuple[int, int, int]] = []
    for start, end in sentence_spans(text):
        n = count_tokens(text[start:end])
        if n > size:
            units.extend(
                (s, e, count_tokens(text[s:e])) for s, e in _split_long(text, start, end, size)
            )
        else:
            units.append((start, end, n))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= size):
            total += units[j][2]
            j += 1
        spans.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        # Step back over trailing units that fit in the overlap, leaving room for the next
        # unit so that every chunk brings new text.
        back, carried, room = j, 0, size - units[j][2]
        while back - 1 > i and carried + units[back - 1][2] <= min(overlap, room):
            back -= 1
            carried += units[back][2]
        i = back
    return spans


def chunk_document(document: SourceDocument, size: int, overlap: int) -> list[Chunk]:
    """Chunks of ``document``: never across sections, each with provenance and a content hash."""
    chunks: list[Chunk] = []
    for section in document.sections:
        for start, end in split_section(section.text, size, overlap):
            text = section.text[start:end]
            chunks.append(_make_chunk(document, section, text, section.start + start, len(chunks)))
    return chunks


def _make_chunk(
    document: SourceDocument, section: Section, text: str, start: int, index: int
) -> Chunk:
    return Chunk(
        id=f"{document.id}#{index}",
        document_id=document.id,
        title=document.title,
        kind=document.kind,
        text=text,
        source_path=document.source_path,
        heading_path=section.heading_path,
        page=section.page,
        start=start,
        end=start + len(text),
        token_count=count_tokens(text),
        content_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
        topics=document.topics,
        principles=document.principles,
        references=document.references,
        citations=citation_keys(text),
    )
