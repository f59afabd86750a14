"""Pandoc citations (``[@key]``) and cross-links (``[[id]]``) in corpus Markdown."""

from __future__ import annotations

import re

CITATION_GROUP = re.compile(r"\[(?:[^\[\]]*?)@[^\[\]]*\]")
CITATION_KEY = re.compile(r"@([A-Za-z0-9_][\w:.#$%&\-+?<>~/]*[A-Za-z0-9_])")
CROSS_LINK = re.compile(r"\[\[([a-z0-9-]+)\]\]")


def citation_keys(text: str) -> list[str]:
    """Every citation key in ``text``, in order of first appearance, without duplicates."""
    keys: dict[str, None] = {}
    for group in CITATION_GROUP.finditer(text):
        for key in CITATION_KEY.findall(group.group(0)):
            keys.setdefault(key, None)
    return list(keys)


def cross_links(text: str) -> list[str]:
    """Every ``[[id]]`` target in ``text``, in order, without duplicates."""
    return list(dict.fromkeys(CROSS_LINK.findall(text)))


def plain_words(text: str) -> list[str]:
    """Lower-case words of ``text``, citation and link markup removed (for counts and overlap)."""
    text = CITATION_GROUP.sub(" ", text)
    text = CROSS_LINK.sub(lambda m: m.group(1).replace("-", " "), text)
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


# "see [[a]], [[b]] and [[c]] for ...": a pointer to other documents, which means nothing to a
# reader of an answer (where links become plain words), as a parenthesis or a closing clause.
_SEE_ALSO = (
    r"[Ss]ee(?: also)? \[\[[a-z0-9-]+\]\](?:(?:,| and| or|, and) \[\[[a-z0-9-]+\]\])*"
    r"(?: for [^.;()\[\]]*)?"
)
_CROSS_REFERENCE = re.compile(
    rf"^\s*{_SEE_ALSO}\.?\s*$|\s*\({_SEE_ALSO}\)|[;,] {_SEE_ALSO}(?=\s*(?:\[@|[.;)]|$))"
)


def without_cross_references(raw: str) -> str:
    """``raw`` without its "(see [[id]])" asides and "; see [[id]]" closing clauses; empty
    when it is nothing but a "See [[id]] and [[id]]." pointer."""
    return _CROSS_REFERENCE.sub("", raw)


# A list marker opening the text, or a bullet opening a later line (a unit holding a lead-in
# and the list items that continue it).
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+|\n[ \t]*[-*+][ \t]+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")


def display_text(raw: str) -> str:
    """Text as a reader sees it: citation markup, list markers and emphasis removed, links kept
    as words, whitespace (wrapped lines included) collapsed."""
    text = CITATION_GROUP.sub("", raw)
    text = CROSS_LINK.sub(lambda m: m.group(1).replace("-", " "), text)
    text = _LIST_MARK.sub(" ", text)
    text = _EMPHASIS.sub("", text)
    text = re.sub(r"(?<!\s)\s+([.,;:!?])", r"\1", text)  # starts only at a run's start
    return " ".join(text.split()).strip()
