"""Sentences of retrieved passages: what a generator may say, with exact spans for quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hlsguide.corpus.markup import CITATION_GROUP, CROSS_LINK
from hlsguide.retrieval.chunking import sentence_spans
from hlsguide.retrieval.injection import InjectionDetector, blank, directs_the_answer, units
from hlsguide.types import Hit

_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")
_MIN_WORDS = 6
# Sentences about the document itself ("this note") say nothing to a reader of an answer.
_SELF_REFERENCE = re.compile(r"\bthis (note|document|page|guide|section)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    """A sentence of passage ``n``: its display text and the exact quote it came from."""

    n: int
    hit: Hit
    quote: str
    text: str


def clean(raw: str) -> str:
    """Display text: citation markup, list markers and emphasis removed, links kept as words."""
    text = CITATION_GROUP.sub("", raw)
    text = CROSS_LINK.sub(lambda m: m.group(1).replace("-", " "), text)
    text = _LIST_MARK.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = re.sub(r"(?<!\s)\s+([.,;:!?])", r"\1", text)  # starts only at a run's start
    return " ".join(text.split()).strip()


def sentences(n: int, hit: Hit) -> list[Sentence]:
    """Sentences of a passage long enough to stand alone; quotes stop before citation markup."""
    found = []
    passage = hit.chunk.text
    for start, end in sentence_spans(passage):
        raw = passage[start:end]
        marker = CITATION_GROUP.search(raw)
        quote = raw[: marker.start()].rstrip() if marker else raw
        text = clean(raw)
        if (
            len(text.split()) < _MIN_WORDS
            or text.startswith("#")
            or text.endswith("?")  # a question is not a claim
            or text.endswith(":")  # a list's lead-in; its items are candidates themselves
            or _SELF_REFERENCE.search(text)
            or not quote
        ):
            continue
        if not text.endswith((".", "!", "?")):
            text += "."
        found.append(Sentence(n=n, hit=hit, quote=quote, text=text))
    return found


def best_quote(passage: str, claim: str) -> str:
    """The passage sentence sharing most words with ``claim`` (an exact substring of passage)."""
    claim_words = set(re.findall(r"[a-z0-9]+", claim.lower()))
    best, best_overlap = "", -1
    for start, end in sentence_spans(passage):
        raw = passage[start:end]
        marker = CITATION_GROUP.search(raw)
        quote = raw[: marker.start()].rstrip() if marker else raw
        overlap = len(claim_words & set(re.findall(r"[a-z0-9]+", quote.lower())))
        if quote and overlap > best_overlap:
            best, best_overlap = quote, overlap
    return best or passage[:200]


def screen_passages(detector: InjectionDetector, passages: list[Hit]) -> list[Hit]:
    """Passages with every unit the detector flags, or that directs what an answer must say,
    blanked (offsets kept), so that a model is never shown them."""
    texts = [hit.chunk.text for hit in passages]
    screened = []
    for hit, text, spans in zip(passages, texts, detector.flagged_spans(texts), strict=True):
        spans = spans + [(s, e) for s, e in units(text) if directs_the_answer(text[s:e])]
        if spans:
            chunk = hit.chunk.model_copy(update={"text": blank(text, spans)})
            hit = hit.model_copy(update={"chunk": chunk})
        screened.append(hit)
    return screened
