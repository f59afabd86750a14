"""Where review advice comes from: the answer-ready units of corpus documents, sentence by
sentence, each located in an indexed chunk so that it can be cited like an answer's passage.

``UnitSource`` is the seam: ``CorpusUnits`` parses the units from the corpus files of the
indexed documents with ``corpus.units``; a searcher that indexes units itself can stand in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hlsguide.corpus.frontmatter import split_front_matter
from hlsguide.corpus.markup import CITATION_GROUP, display_text
from hlsguide.corpus.units import UnitKind, opens_dangling, parse_units, sentences
from hlsguide.retrieval.search import Searcher
from hlsguide.retrieval.units import SELF_REFERENCE
from hlsguide.types import Hit

# A reply to a unit's own question ("No: ...", "Not by itself: ...") reads wrongly when lifted
# alone: a lead-in of up to three words before a colon is dropped and the claim kept; a longer
# lead-in ("Sources disagree on X: ...") leaves a fragment, so such a sentence is not lifted.
_VERDICT = re.compile(r"^(?:Yes|No)[:,]\s+|^[A-Z][\w'-]*(?: [\w'-]+){0,2}:\s+")
_LEAD_IN = re.compile(r"^[^.:;]{1,60}:\s")
_MIN_WORDS = 8


@dataclass(frozen=True)
class UnitSentence:
    """One sentence of a unit: display text, the exact quote, and the chunk that holds it."""

    document_id: str
    kind: UnitKind
    text: str
    quote: str
    hit: Hit


class UnitSource(Protocol):
    """Unit sentences of the given documents, in document order."""

    def sentences(self, document_ids: Sequence[str]) -> list[UnitSentence]: ...


def _liftable(raw: str) -> tuple[str, str] | None:
    """(display text, quote) of a unit sentence that can stand alone, else None."""
    raw = _VERDICT.sub("", raw)
    if _LEAD_IN.match(raw) or SELF_REFERENCE.search(raw):
        return None
    marker = CITATION_GROUP.search(raw)
    quote = raw[: marker.start()].rstrip() if marker else raw
    text = display_text(raw)
    if len(text.split()) < _MIN_WORDS or opens_dangling(text) or text.endswith("?"):
        return None
    text = text[0].upper() + text[1:]
    return (text if text.endswith((".", "!")) else text + "."), quote


class CorpusUnits:
    """Units parsed from the corpus files behind an index snapshot."""

    def __init__(self, searcher: Searcher) -> None:
        self._chunks: dict[str, list] = {}
        for chunk in searcher.snapshot.chunks:
            self._chunks.setdefault(chunk.document_id, []).append(chunk)

    def sentences(self, document_ids: Sequence[str]) -> list[UnitSentence]:
        found = []
        for document_id in dict.fromkeys(document_ids):
            chunks = self._chunks.get(document_id)
            if not chunks:
                continue
            _, body, _ = split_front_matter(Path(chunks[0].source_path).read_text("utf-8"))
            for unit in parse_units(body, chunks[0].kind):
                for raw in sentences(unit.text):
                    lifted = _liftable(raw)
                    if lifted is None:
                        continue
                    text, quote = lifted
                    chunk = next((c for c in chunks if quote in c.text), None)
                    if chunk is not None:
                        found.append(
                            UnitSentence(
                                document_id, unit.kind, text, quote, Hit(chunk=chunk, score=0.0)
                            )
                        )
        return found
