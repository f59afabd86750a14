"""Quotes from retrieved passages: the exact text a citation points at."""

from __future__ import annotations

import re

from hlsguide.corpus.markup import CITATION_GROUP
from hlsguide.retrieval.chunking import sentence_spans
from hlsguide.retrieval.injection import InjectionDetector, blank, directs_the_answer, units
from hlsguide.types import Hit


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


def document_order(passages: list[Hit]) -> list[str]:
    """The documents of ``passages`` as an answer ranks them: the first retrieved first, then
    the others by their closest passage in meaning (dense similarity; a passage found only by
    its words counts as 0). Fusion ranks a document high for a single passage sharing common
    words with the question ("what is the difference between ..."); the second document's key
    points are offered whatever their wording, so it must be the one nearest in meaning."""
    documents = list(dict.fromkeys(h.chunk.document_id for h in passages))
    closest: dict[str, float] = {}
    for hit in passages:
        similarity = hit.dense_similarity or 0.0
        closest[hit.chunk.document_id] = max(closest.get(hit.chunk.document_id, 0.0), similarity)
    return documents[:1] + sorted(documents[1:], key=lambda d: -closest[d])
