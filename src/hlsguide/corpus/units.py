"""Answer-ready units of a corpus document (contract v2).

A unit is text written to be lifted on its own into an answer: a key point, a question with
its answer, a common misreading with its correction, or a practice step. The parser keeps
each unit's character offsets into the body, so a citation of a unit points at exact text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from hlsguide.corpus.markup import CITATION_GROUP, display_text

UnitKind = Literal["key_point", "question", "misreading", "step"]

KEY_POINTS = "Key points"
QUESTIONS = "Questions this answers"
MISREADINGS = "Common misreadings"
STEPS = "Steps"
# The answer-ready sections close a document, in this order.
UNIT_SECTIONS = (KEY_POINTS, QUESTIONS, MISREADINGS)

# Words that lean on what came before; a unit opening with one cannot be read alone.
DANGLING_OPENERS = frozenset(
    [
        "it",
        "its",
        "this",
        "these",
        "that",
        "those",
        "they",
        "them",
        "their",
        "theirs",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "we",
        "our",
        "however",
        "but",
        "also",
        "so",
        "and",
        "or",
        "yet",
        "then",
        "thus",
        "therefore",
        "moreover",
        "furthermore",
        "instead",
        "such",
        "here",
        "both",
        "still",
        "meanwhile",
        "likewise",
        "similarly",
        "again",
        "besides",
        "nevertheless",
        "nonetheless",
    ]
)
# Phrases that point back to the sentence before from inside a sentence ("Trust-based funding
# puts the first of these into practice"); "of them" and "those who" are left out, as their
# antecedent is often in the same sentence ("ask providers what each of them learned").
_BACK_REFERENCE = re.compile(
    r"\b(?:of|among) (?:these|those)\b(?!\s+(?:who|whom|whose|that|which|using|in|at|with)\b)"
    r"|\b(?:as|the|see) above\b|\bthe (?:former|latter)\b"
    # An opening phrase built on a bare demonstrative: "From this, ...", "Beyond that, ...".
    r"|^\W*(?:from|despite|beyond|besides|after|because of|given|with|without|for|in|on|"
    r"apart from) (?:this|that|these|those|it|them)\s*,"
    r"|^\W*in (?:this|that|such a) (?:way|case|sense)\b",
    re.IGNORECASE,
)
# A subject pronoun after an opening phrase that names no one ("Drawing on interviews with
# officials, he concluded ...", "Speaking as chief executive, she described ..."); not after a
# clause with a subject of its own ("When providers are paid on results, they ...").
_PRONOUN_SUBJECT = re.compile(
    r"^(?!(?:when|whenever|if|as|because|once|while|where|although|though|after|before|since|"
    r"unless|until)\b)[^,.;:]{2,90},\s+(?:he|she|they)\b",
    re.IGNORECASE,
)
# An order's object that points back: "it", "them", or "this"/"that"/"these"/"those" standing
# alone (followed by a preposition, a conjunction or a stop, not by a noun: "Use this when" but
# not "Use this checklist"); "Make it clear" has no antecedent.
_PRONOUN_OBJECT = re.compile(
    r"^\W*(?!make\s+it\b)\w+\s+(?:it|them|(?:this|that|these|those)(?=\s+(?:as|when|to|in|by|for|with|on|if|"
    r"before|after|until|into|and|or|so)\b|\s*[,.;:!?]))\b",
    re.IGNORECASE,
)
# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = re.compile(
    r"\b(?:e\.g|i\.e|et al|pp?|Dr|Mr|Mrs|Ms|St|vs|c|cf)\.|\bNo\.(?=\s*\d)", re.I
)
# A sentence ends at a stop, after any closing quotes, brackets or emphasis ("**Map it.** Then").
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\*\*|__|\*|_)?[\"”’)]*\s+(?=[\"“‘(*_]*[A-Z0-9])")
_H2 = re.compile(r"^## +(.+?)\s*$", re.M)
_H3 = re.compile(r"^### +(.+?)\s*$", re.M)
_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+", re.M)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# A paragraph opening with a short title set wholly in bold ("**1. Map it.** Then ..."): a
# run-in title, the antecedent of the sentence after it, not a sentence of its own.
RUN_IN_TITLE = re.compile(r"(\*\*|__)((?:(?!\1)[^\n]){1,120}?[.!?:])\1(?=\s+\S)")
MAX_TITLE_WORDS = 12
# A paragraph's opening sentence of at most this many words may only announce the rest.
ANNOUNCEMENT_WORDS = 12
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Unit:
    """One answer-ready unit: its kind, the text to lift, and where that text sits in the body.

    ``prompt`` is the question (for ``question``) or the misreading as someone would say it
    (for ``misreading``); key points and steps have none. ``start``/``end`` are character
    offsets of ``text`` in the body it was parsed from.
    """

    kind: UnitKind
    text: str
    start: int
    end: int
    prompt: str | None = None


@dataclass(frozen=True)
class Section:
    """A ``##`` section of a body: its title and the character span of its content."""

    title: str
    start: int
    end: int


def sections(body: str) -> list[Section]:
    """The ``##`` sections of ``body`` in order, each spanning up to the next ``##``."""
    heads = list(_H2.finditer(body))
    return [
        Section(m.group(1), m.end(), heads[i + 1].start() if i + 1 < len(heads) else len(body))
        for i, m in enumerate(heads)
    ]


def prose_end(body: str) -> int:
    """Offset where the answer-ready sections begin (the end of the prose body)."""
    starts = [s.start for s in sections(body) if s.title in UNIT_SECTIONS]
    if not starts:
        return len(body)
    # Back up over the heading line itself.
    return body.rfind("##", 0, min(starts))


def _trimmed(body: str, start: int, end: int) -> tuple[str, int, int]:
    """The span with surrounding whitespace removed, and its new offsets."""
    text = body[start:end]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    return text, start + lead, start + lead + len(text)


def _items(body: str, section: Section) -> list[tuple[str, int, int]]:
    """List items (bullets or numbered) of a section, continuation lines included."""
    marks = list(_ITEM.finditer(body, section.start, section.end))
    items = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else section.end
        # An item stops at a blank line (what follows is a new paragraph, not the item).
        blank = body.find("\n\n", mark.end(), end)
        items.append(_trimmed(body, mark.end(), end if blank < 0 else blank))
    return items


def _entries(body: str, section: Section) -> list[tuple[str, str, int, int]]:
    """``###`` entries of a section: (heading, text, start, end) for each."""
    heads = list(_H3.finditer(body, section.start, section.end))
    entries = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else section.end
        text, start, stop = _trimmed(body, head.end(), end)
        entries.append((head.group(1), text, start, stop))
    return entries


def parse_units(body: str, kind: str | None = None) -> list[Unit]:
    """Every answer-ready unit in ``body``; steps only for practice documents (``kind``)."""
    units: list[Unit] = []
    for section in sections(body):
        if section.title == KEY_POINTS:
            units += [Unit("key_point", t, s, e) for t, s, e in _items(body, section)]
        elif is_steps(section.title) and kind in (None, "practice"):
            units += [Unit("step", t, s, e) for t, s, e in _items(body, section)]
        elif section.title in (QUESTIONS, MISREADINGS):
            unit_kind: UnitKind = "question" if section.title == QUESTIONS else "misreading"
            units += [Unit(unit_kind, t, s, e, h) for h, t, s, e in _entries(body, section)]
    return units


def is_steps(title: str) -> bool:
    """Whether a ``##`` title heads a practice's steps ("Steps", "Steps for a first cycle")."""
    return title == STEPS or title.startswith(STEPS + " ")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, whitespace trimmed; abbreviations
    such as "e.g." do not end one. Line breaks inside a sentence (wrapped PDF text) do not."""
    # The substitution keeps every length, so offsets in ``protected`` are offsets in ``text``.
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\0"), text)
    spans, cursor = [], 0
    for boundary in [*_SENTENCE_END.finditer(protected), None]:
        # Closing quotes and brackets after the full stop belong to the sentence.
        closers = (
            len(boundary.group(0)) - len(boundary.group(0).lstrip('"”’)*_')) if boundary else 0
        )
        end = boundary.start() + closers if boundary else len(text)
        piece = text[cursor:end]
        if piece.strip():
            start = cursor + len(piece) - len(piece.lstrip())
            spans.append((start, start + len(piece.strip())))
        if boundary is None:
            break
        cursor = boundary.end()
    return spans


def run_in_title_end(block: str) -> int:
    """Where a run-in title opening ``block`` ends ("**Map it.** Then ..."), else 0."""
    title = RUN_IN_TITLE.match(block)
    return title.end() if title and len(title.group(2).split()) <= MAX_TITLE_WORDS else 0


def said_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a unit as an answer says them: a run-in title ("**1. Invest in
    relationships.** Fund ...") heads the sentence after it rather than standing alone."""
    spans = sentence_spans(text)
    title_end = run_in_title_end(text)
    if title_end:
        after = [span for span in spans if span[1] > title_end]
        spans = [(0, after[0][1]), *after[1:]] if after else [(0, len(text))]
    return spans


# A verdict opening an authored answer ("No: ...", "Partly, for narrow outcomes: ...",
# "Several have: ..."): it answers the unit's own question, not necessarily the one asked.
_VERDICT_PREFIX = re.compile(
    r"^(?:no|yes|partly|not \w+|it depends|several|some|many|few|most|both|none)\b[^:.;]{0,30}:"
    r"\s*(.+)$",
    re.I | re.S,
)


def verdict_cut(sentence: str) -> str | None:
    """``sentence`` without the verdict opening it ("No: a healthy system is ..." -> "A
    healthy system is ..."), or None when it opens with none."""
    cut = _VERDICT_PREFIX.match(sentence)
    if cut is None:
        return None
    rest = cut.group(1)
    return rest[:1].upper() + rest[1:]


def said_sentences(text: str) -> list[str]:
    """The sentences of a unit's text (``said_spans``, markup removed) as an answer says them
    once a verdict is cut off: what a repeat is judged on."""
    said = [display_text(text[start:end]) for start, end in said_spans(text)]
    if said and (cut := verdict_cut(said[0])) is not None:
        said[0] = cut
    return said


def sentences(text: str) -> list[str]:
    """Sentences of unit text; abbreviations such as "e.g." do not end one."""
    return [text[start:end] for start, end in sentence_spans(text)]


# An imperative verb that only frames what follows: "Put simply, ...", "Put another way, ...".
_DISCOURSE_MARKER = re.compile(
    r"^\W*(?:put|say|look|mind)\b(?:\s+it)?(?:\s+(?:simply|briefly|plainly|bluntly|"
    r"differently|another way|more simply|at its simplest|you))?\s*,"
    # A participle, not an order: "Read alongside other HLS writing, each type points ...".
    r"|^\W*(?:read|seen|taken|viewed) (?:alongside|together|with|in|as|against|this way)\b"
    r"[^,]{0,80},\s+(?!(?:then|and)\b)",
    re.IGNORECASE,
)


def first_word(text: str) -> str:
    """The first word of ``text``, markup (bold, quotes, brackets) skipped."""
    match = _WORD.search(CITATION_GROUP.sub(" ", text))
    return match.group(0) if match else ""


def opens_dangling(text: str) -> bool:
    """Whether ``text`` opens with a pronoun or connective that needs an antecedent."""
    return first_word(text).lower() in DANGLING_OPENERS


def leans_back(text: str) -> bool:
    """Whether ``text`` needs the sentence before it: it opens with a pronoun or connective,
    its first sentence refers back ("the first of these", "as above") or names its subject only
    by a pronoun after an opening phrase ("Drawing on interviews, he concluded ..."), or it is
    an order whose object is a pronoun ("Treat this as the coalition's own claim")."""
    first = next(iter(sentences(text)), "")
    return (
        opens_dangling(text)
        or bool(_BACK_REFERENCE.search(first))
        or bool(_PRONOUN_SUBJECT.match(display_text(first)))
        or (opens_imperative(first) and bool(_PRONOUN_OBJECT.match(display_text(first))))
    )


def announces(text: str) -> bool:
    """Whether ``text``, opening a paragraph, only announces what the paragraph goes on to say
    ("Complexity theory separates two kinds of difficulty.", "Lowe turned the experience into
    research."): a short sentence that cites nothing, gives no figure and is no lead-in or
    question. Alone it teases; with the sentence after it, it informs."""
    shown = display_text(text)
    return (
        len(shown.split()) <= ANNOUNCEMENT_WORDS
        and not CITATION_GROUP.search(text)
        and not _DIGIT.search(shown)
        and not shown.endswith((":", "?"))
    )


@cache
def imperative_verbs() -> frozenset[str]:
    """Verbs a practice step or an action may open with (``imperative_verbs.txt``)."""
    text = resources.files("hlsguide.corpus").joinpath("imperative_verbs.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def opens_imperative(text: str) -> bool:
    """Whether ``text`` opens with a known imperative verb ("Map ...", "Agree ..."), not with
    a discourse marker built on one ("Put simply, ...", "Say, ...")."""
    return first_word(text).lower() in imperative_verbs() and not _DISCOURSE_MARKER.match(
        CITATION_GROUP.sub(" ", text)
    )
