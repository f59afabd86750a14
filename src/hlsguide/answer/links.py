"""Answers carry only known links: a URL must come from ``references.yaml`` or the cited
documents' own metadata; any other URL (planted in an upload, or made up by a model) is removed
and logged, so retrieved text can never decide which links a reader is shown."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from hlsguide.corpus.references import Bibliography
from hlsguide.types import Citation

log = logging.getLogger("hlsguide.answer.links")

_URL = r"(?:https?://|www\.)[^\s<>()\[\]\"'`]+"
# Images first: a foreign image is removed whole (its URL can carry data out when rendered).
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?(" + _URL + r"|[^)\s]+)>?[^)]*\)", re.I)
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?(" + _URL + r"|[^)\s]+)>?[^)]*\)", re.I)
_AUTOLINK = re.compile(r"<(" + _URL + r")>", re.I)
_BARE = re.compile(_URL, re.I)
_TRAILING = ".,;:!?*_"


def _key(url: str) -> str:
    url = url.strip().rstrip(_TRAILING).lower()
    url = re.sub(r"^https?://", "", url)
    return url.removeprefix("www.").rstrip("/")


def known_links(bibliography: Bibliography, citations: Iterable[Citation]) -> set[str]:
    """Every URL the answer may show: references.yaml's and the cited publications'."""
    urls: set[str] = set()
    for entry in bibliography.entries.values():
        if entry.get("URL"):
            urls.add(str(entry["URL"]))
        if entry.get("DOI"):
            urls.add(f"https://doi.org/{entry['DOI']}")
    for citation in citations:
        urls.update(p.url for p in citation.publications if p.url)
    return {_key(u) for u in urls}


def strip_unknown_links(markdown: str, known: set[str]) -> tuple[str, list[str]]:
    """``markdown`` without URLs outside ``known`` (a foreign link keeps its text, a foreign
    image goes whole), and the URLs removed."""
    removed: list[str] = []

    def allowed(url: str) -> bool:
        if _key(url) in known:
            return True
        removed.append(url.rstrip(_TRAILING))
        return False

    markdown = _IMAGE.sub(lambda m: m.group(0) if allowed(m.group(2)) else "", markdown)
    markdown = _LINK.sub(lambda m: m.group(0) if allowed(m.group(2)) else m.group(1), markdown)
    markdown = _AUTOLINK.sub(lambda m: m.group(0) if allowed(m.group(1)) else "", markdown)

    def bare(match: re.Match[str]) -> str:
        url = match.group(0)
        tail = url[len(url.rstrip(_TRAILING)) :]
        return url if allowed(url) else tail

    # Links already checked above are kept as written; only free-standing URLs remain.
    pieces = re.split(r"(\]\([^()\[\]]*\)|<https?://[^<>]*>)", markdown)
    markdown = "".join(p if i % 2 else _BARE.sub(bare, p) for i, p in enumerate(pieces))
    if removed:
        log.warning("removed links not in the references", extra={"urls": removed})
    return markdown, removed
