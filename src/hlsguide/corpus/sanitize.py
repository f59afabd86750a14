"""Ingestion hygiene: invisible characters and instructions aimed at a model are removed from
document text, and every removal is reported, so hidden payloads never reach an answer."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

# Characters that render as nothing but carry text a model would read: Unicode tag characters
# (ASCII smuggling), bidi embeddings/overrides/isolates, zero-width characters, word joiner,
# byte-order marks and variation selectors.
_INVISIBLE_RANGES = [
    (0xE0000, 0xE007F, "tag characters"),
    (0x202A, 0x202E, "bidi controls"),
    (0x2066, 0x2069, "bidi controls"),
    (0x200B, 0x200F, "zero-width or direction marks"),
    (0x2060, 0x2064, "invisible operators"),
    (0xFEFF, 0xFEFF, "zero-width no-break spaces"),
    (0xFE00, 0xFE0F, "variation selectors"),
    (0xE0100, 0xE01EF, "variation selectors"),
    (0x00AD, 0x00AD, "soft hyphens"),
]


@dataclass
class Findings:
    """What hygiene removed from one document, as messages for the ingestion report."""

    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)


def _invisible_kind(char: str) -> str | None:
    code = ord(char)
    for low, high, kind in _INVISIBLE_RANGES:
        if low <= code <= high:
            return kind
    if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
        return "control characters"
    return None


def strip_invisible(text: str, findings: Findings | None = None) -> str:
    """``text`` without invisible or control characters; counts by kind go to ``findings``."""
    counts: dict[str, int] = {}
    kept = []
    for char in text:
        kind = _invisible_kind(char)
        if kind is None:
            kept.append(char)
        else:
            counts[kind] = counts.get(kind, 0) + 1
    if findings is not None:
        for kind, count in counts.items():
            findings.add(f"removed {count} invisible {kind}")
    return "".join(kept) if counts else text


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


@cache
def instruction_patterns() -> tuple[re.Pattern[str], ...]:
    """Layer 1 of injection detection; the patterns are data, beside the lens's patterns."""
    lexicon = yaml.safe_load(resources.files("hlsguide.lens").joinpath("lexicon.yaml").read_text())
    return tuple(
        re.compile(p, re.IGNORECASE | re.MULTILINE)
        for p in lexicon["document_injection"]["patterns"]
    )


def scrub_instructions(text: str, findings: Findings | None = None) -> str:
    """Blank out sentences that address a model ("ignore previous instructions", fake role
    markers). Blanking with spaces keeps every character offset of the remaining text."""
    patterns = instruction_patterns()
    # Join the text to one line for matching so that a payload split across lines (or across
    # what will become two chunks) is still seen whole.
    flat = text.replace("\n", " ")
    spans = []
    for pattern in patterns:
        # Role markers anchor on line starts, so they are matched on the text as written.
        for match in pattern.finditer(text if pattern.pattern.startswith(("^", "(^")) else flat):
            before = list(_SENTENCE_END.finditer(flat, 0, match.start()))
            start = before[-1].end() if before else 0
            after = _SENTENCE_END.search(flat, match.end())
            end = after.start() + 1 if after else len(flat)
            spans.append((start, end))
    if not spans:
        return text
    chars = list(text)
    removed = []
    for start, end in sorted(spans):
        removed.append(" ".join(flat[start:end].split())[:80])
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    if findings is not None:
        for snippet in dict.fromkeys(removed):
            findings.add(f"removed text addressed to an AI model: '{snippet}'")
    return "".join(chars)


def clean_text(text: str, findings: Findings) -> str:
    """Invisible characters stripped, then model-directed instructions blanked."""
    return scrub_instructions(strip_invisible(text, findings), findings)
