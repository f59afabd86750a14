"""Question validation and follow-up detection, shared by every channel."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from hlsguide.corpus.sanitize import strip_invisible
from hlsguide.retrieval.tokens import count_tokens

# A follow-up leans on the conversation: it opens with a connective, or it is short and points
# back with a pronoun instead of naming its subject.
_CONNECTIVE = re.compile(
    r"^\s*(and|but|so|also|what about|how about|why|how so|tell me more|more on|what else|"
    r"can you expand)\b",
    re.IGNORECASE,
)
_POINTER = re.compile(r"\b(it|its|this|that|these|those|they|them|their|there)\b", re.IGNORECASE)
SHORT_QUESTION_WORDS = 8
# A name: a run of capitalised words ("Toby Lowe", "A Whole New World", "Buurtzorg"), joined by
# "and", "of" or "&" ("Bromsgrove & Redditch").
_NAME = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:and|of|&)\s+)?[A-Z][\w'’-]*)*")
# Capitalised only because it opens a sentence: never part of a name.
_OPENER = re.compile(
    r"(a|an|and|are|can|could|did|do|does|how|i|if|in|is|it|of|on|our|should|so|tell|the|"
    r"their|there|these|this|what|when|where|which|who|why|will|would)",
    re.IGNORECASE,
)


class QuestionError(ValueError):
    """The question cannot be answered as given; the message says why."""


def validate_question(question: str, max_tokens: int) -> str:
    """Return the question stripped, or raise QuestionError with a precise reason."""
    if "\x00" in question:
        raise QuestionError("the question contains binary data (NUL bytes)")
    controls = [c for c in question if unicodedata.category(c) == "Cc" and c not in "\t\n\r"]
    if controls:
        first = f"U+{ord(controls[0]):04X}"
        raise QuestionError(
            f"the question contains {len(controls)} control character(s), e.g. {first}"
        )
    if "\ufffd" in question:
        raise QuestionError("the question contains undecodable bytes (U+FFFD)")
    # Invisible characters (tag smuggling, bidi, zero-width) carry text a reader cannot see.
    stripped = strip_invisible(question).strip()
    if not stripped:
        raise QuestionError("the question is empty")
    tokens = count_tokens(stripped)
    if tokens > max_tokens:
        raise QuestionError(f"the question is {tokens} tokens long; the limit is {max_tokens}")
    return stripped


def looks_like_follow_up(question: str) -> bool:
    """True when the question probably needs the conversation to make sense."""
    words = len(question.split())
    return bool(_CONNECTIVE.search(question)) or (
        words <= SHORT_QUESTION_WORDS and (words <= 4 or bool(_POINTER.search(question)))
    )


def names(question: str) -> list[str]:
    """The names the question uses: runs of capitalised words, less a leading word that is
    capitalised only because it opens a sentence ("What", "How", "The")."""
    found = []
    for match in _NAME.finditer(question):
        words = match.group().split()
        if _OPENER.fullmatch(words[0]):
            words = words[1:]
        if words:
            found.append(" ".join(words))
    return found


def names_found(question: str, texts: Sequence[str]) -> bool:
    """Whether some name the question uses appears, whole, in one of ``texts`` ("Toby Lowe"
    in a passage on HLS's history; "World Cup" is not "A Whole New World")."""
    wanted = [re.compile(rf"\b{re.escape(n)}\b") for n in names(question) if len(n) > 2]
    return any(p.search(t) for p in wanted for t in texts)
