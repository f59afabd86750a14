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
