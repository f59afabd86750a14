"""Quotes from retrieved passages: the exact text a citation points at."""

from __future__ import annotations

import re

from hlsguide.corpus.markup import CITATION_GROUP
from hlsguide.retrieval.chunking import sentence_spans


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
