"""Where review advice comes from: the answer-ready units of corpus documents, sentence by
sentence, each located in an indexed chunk so that it can be cited like an answer's passage.

``UnitSource`` is the seam; ``IndexedUnits`` reads the authored units the index stores with
each generation (``Searcher.units``), so no corpus file is read at review time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hlsguide.corpus.markup import CITATION_GROUP, display_text
from hlsguide.corpus.units import leans_back, sentences
from hlsguide.retrieval.injection import directs_the_answer
from hlsguide.retrieval.search import Searcher
from hlsguide.retrieval.units import SELF_REFERENCE
from hlsguide.types import Hit, UnitKind

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
    if _LEAD_IN.match(raw) or SELF_REFERENCE.search(raw) or directs_the_answer(raw):
        return None
    marker = CITATION_GROUP.search(raw)
    quote = raw[: marker.start()].rstrip() if marker else raw
    text = display_text(raw)
    if len(text.split()) < _MIN_WORDS or leans_back(text) or text.endswith("?"):
        return None
    text = text[0].upper() + text[1:]
    return (text if text.endswith((".", "!")) else text + "."), quote


class IndexedUnits:
    """Authored units (key points, answers, corrections) of an index generation."""

    KINDS = ("key_point", "question", "misreading")

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    def sentences(self, document_ids: Sequence[str]) -> list[UnitSentence]:
        found = []
        units = self.searcher.units.select(list(self.KINDS), list(dict.fromkeys(document_ids)))
        for unit in units:
            for raw in sentences(unit.text):
                lifted = _liftable(raw)
                if lifted is None:
                    continue
                text, quote = lifted
                offset = unit.start + max(unit.text.find(quote), 0)
                chunk = self.searcher.chunk_at(unit.document_id, offset)
                if chunk is not None and quote in chunk.text:
                    hit = Hit(chunk=chunk, score=0.0)
                    found.append(UnitSentence(unit.document_id, unit.kind, text, quote, hit))
        return found
