"""Units at index time: authored units placed in their chunks, candidate sentences derived.

Every document yields candidate sentences from its prose (uploads have nothing else): a
sentence that leans back (a pronoun or connective opener, an order whose object points back) is
bound to the one before it, a bold run-in title ("**Compositional complexity.** Many factors
interact ...") to the sentence after it, and list items continuing a lead-in ("Results
include: - about 65,000 patients ...;") to that lead-in; headings, lead-ins alone, questions
and fragments under six words are never units. Authored units (contract v2) come from the
loader; their sections are not mined again for sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from hlsguide.corpus.markup import citation_keys, display_text
from hlsguide.corpus.units import (
    UNIT_SECTIONS,
    announces,
    is_steps,
    leans_back,
    opens_imperative,
    run_in_title_end,
    said_sentences,
    sentence_spans,
    verdict_cut,
)
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.types import Chunk, Section, SourceDocument, Unit

MIN_WORDS = 6
# A bound sentence pair longer than this is not one thought any more.
MAX_BOUND_WORDS = 90
# ... nor a lead-in with the list items continuing it ("Results include: - growth ...;").
MAX_LIST_WORDS = 120
# Sentences about the document itself ("this note", "the figures below") say nothing to a
# reader of an answer, where there is no "below".
SELF_REFERENCE = re.compile(
    r"\bthis (note|document|page|guide|section)\b|"
    r"\b(the|these|those) (\w+ )?(figures|items|list|table|examples|points|sections?|cases|"
    r"steps) (below|above)\b|\bsee (below|above)\b",
    re.IGNORECASE,
)
# A line that starts a block of its own: a list item, a heading, a table row, a quote.
_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|\||>)")
_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)]|>)\s+")


def embedding_text(unit: Unit) -> str:
    """What the embedder sees for a unit's text vector."""
    return display_text(unit.text)


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Paragraphs and list items of ``text`` as spans; wrapped lines stay in one block."""
    start = None
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped or _BLOCK_START.match(line):
            if start is not None:
                yield start, offset
            # A list item's text starts after its marker.
            marker = _MARKER.match(line)
            start = offset + (marker.end() if marker else 0) if stripped else None
        elif start is None:
            start = offset
        offset += len(line)
    if start is not None:
        yield start, offset


def _is_candidate(text: str) -> bool:
    shown = display_text(text)
    return not (
        len(shown.split()) < MIN_WORDS
        or text.lstrip().startswith(("#", "|"))
        or shown.endswith((":", "?"))
        or shown[:1].islower()  # a list item continuing a lead-in, or a fragment
        or (not shown[:1].isalnum() and shown[:1] not in '"“‘(')
        or SELF_REFERENCE.search(shown)
    )


def _bindable(block: str, kept: tuple[int, int], end: int) -> bool:
    """Whether the sentence ending at ``end`` may join the unit ``kept``: the two stay short,
    and the sentence is no question or lead-in ("That raises a question: ...?")."""
    return len(block[kept[0] : end].split()) <= MAX_BOUND_WORDS and not display_text(
        block[kept[1] : end]
    ).endswith((":", "?"))


def _block_sentences(
    section_text: str, block_start: int, block_end: int
) -> Iterator[tuple[int, int]]:
    """(start, end) in ``section_text`` of each candidate of one block, dangling openers bound
    backwards and an opening sentence that only announces the rest bound forwards."""
    block = section_text[block_start:block_end]
    kept: tuple[int, int] | None = None
    title_end = run_in_title_end(block)
    spans = [(s, e) for s, e in sentence_spans(block) if e > title_end]
    if title_end and spans:
        # The title is its sentence's antecedent: the two are one unit.
        spans[0] = (0, spans[0][1])
    announcing = len(spans) > 1 and not title_end and announces(block[slice(*spans[0])])
    for k, (start, end) in enumerate(spans):
        text = block[start:end]
        if announcing and k == 1:
            # The announcement goes with the sentence that says what it announced, or not
            # at all.
            if kept is not None and _bindable(block, kept, end):
                kept = (kept[0], end)
                continue
            kept = None
        if leans_back(text):
            # Bound to the sentence before it, or dropped when that was not a unit.
            if kept is not None and _bindable(block, kept, end):
                kept = (kept[0], end)
            else:
                if kept is not None:
                    yield block_start + kept[0], block_start + kept[1]
                kept = None
            continue
        if kept is not None:
            yield block_start + kept[0], block_start + kept[1]
        kept = (start, end) if _is_candidate(text) else None
    if kept is not None:
        yield block_start + kept[0], block_start + kept[1]


def _continues(text: str, block: tuple[int, int]) -> bool:
    """Whether ``block`` is a list item continuing a sentence ("- about 65,000 patients;")."""
    line_start = text.rfind("\n", 0, block[0]) + 1
    return bool(_MARKER.match(text[line_start : block[1]])) and (
        display_text(text[block[0] : block[1]])[:1].islower()
    )


def _section_sentences(section: Section) -> Iterator[tuple[int, int]]:
    """(start, end) in the section of each candidate. List items that continue a lead-in
    ("Reported results include:") are one unit with it when short enough, else none: alone
    they have no subject."""
    text = section.text
    blocks = list(_blocks(text))
    i = 0
    while i < len(blocks):
        yield from _block_sentences(text, *blocks[i])
        items = i + 1
        while items < len(blocks) and _continues(text, blocks[items]):
            items += 1
        if items > i + 1:
            block_start, block_end = blocks[i]
            last = sentence_spans(text[block_start:block_end])[-1:]
            start = block_start + last[0][0] if last else block_end
            end = blocks[items - 1][0] + len(text[slice(*blocks[items - 1])].rstrip())
            lead_in = display_text(text[start:block_end]).endswith(":")
            if lead_in and len(display_text(text[start:end]).split()) <= MAX_LIST_WORDS:
                yield start, end
        i = items


def candidate_sentences(document: SourceDocument) -> list[Unit]:
    """Sentence units of the prose of ``document`` (sections holding authored units skipped)."""
    units = []
    for section in document.sections:
        if any(h in UNIT_SECTIONS or is_steps(h) for h in section.heading_path) and (
            document.units
        ):
            continue
        for start, end in _section_sentences(section):
            text = section.text[start:end]
            units.append(
                Unit(
                    id="",
                    document_id=document.id,
                    # A run-in title's verb ("**Open and trusting grant-making.**") does not
                    # make a step: the sentence it heads must direct.
                    kind="step" if opens_imperative(text[run_in_title_end(text) :]) else "sentence",
                    text=text,
                    start=section.start + start,
                    end=section.start + end,
                    title=document.title,
                    doc_kind=document.kind,
                    citations=citation_keys(text),
                )
            )
    return units


def _intact(unit: Unit, sections: list[Section]) -> bool:
    """Whether the sections still hold ``unit`` as written: text the injection screen blanked
    (offsets kept) makes the section differ, and such a unit is not kept."""
    for section in sections:
        start = max(unit.start, section.start)
        end = min(unit.end, section.start + len(section.text))
        if start < end and (
            section.text[start - section.start : end - section.start]
            != unit.text[start - unit.start : end - unit.start]
        ):
            return False
    return True


def document_units(document: SourceDocument, chunks: list[Chunk]) -> list[Unit]:
    """Authored and sentence units of ``document``, each placed in the chunk holding most of it
    (its start must lie in that chunk, so a quote from the start is exact). An authored unit
    holding text the injection screen removed is left out."""
    placed: list[Unit] = []
    authored = [u for u in document.units if _intact(u, document.sections)]
    for unit in [*authored, *candidate_sentences(document)]:
        holders = [c for c in chunks if c.start <= unit.start < c.end]
        if not holders:
            continue
        best = max(holders, key=lambda c: min(c.end, unit.end) - unit.start)
        placed.append(
            unit.model_copy(update={"id": f"{document.id}~{len(placed)}", "chunk_id": best.id})
        )
    return placed


PROMPTED = frozenset({"question", "misreading"})
UNITS_FILE = "units.jsonl"
TEXT_VECTORS = "unit_vectors.npy"
PROMPT_VECTORS = "unit_prompt_vectors.npy"
SENTENCE_VECTORS = "unit_sentence_vectors.npy"
SENTENCE_COUNTS = "unit_sentence_counts.npy"


@dataclass
class UnitIndex:
    """The units of one generation with their vectors, embedded once at indexing: a text
    vector for every unit, a prompt vector for questions and misreadings (zero rows for the
    rest), and for a unit of several sentences, or one opening with a verdict, a vector per
    sentence as an answer says it (``said_sentences``; none for the rest: their text vector is
    their sentence's), so a sentence that rewords one already said is caught however its unit
    reads as a whole."""

    units: list[Unit]
    text_vectors: np.ndarray
    prompt_vectors: np.ndarray
    sentence_vectors: list[np.ndarray] = field(default_factory=list)
    _rows: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rows = {u.id: i for i, u in enumerate(self.units)}
        if len(self.sentence_vectors) != len(self.units):
            # A generation built before sentence vectors: units are compared whole.
            none = np.zeros((0, self.text_vectors.shape[1]), np.float32)
            self.sentence_vectors = [none] * len(self.units)

    @classmethod
    def empty(cls, dimension: int = 0) -> UnitIndex:
        return cls([], np.zeros((0, dimension), np.float32), np.zeros((0, dimension), np.float32))

    @classmethod
    def build(cls, units: list[Unit], embedder: Embedder, batch: int = 256) -> UnitIndex:
        """Embed ``units`` (texts, prompts where there are any, and the sentences of units
        of more than one)."""
        if not units:
            return cls.empty()
        texts = [embedding_text(u) for u in units]
        prompted = [i for i, u in enumerate(units) if u.prompt]
        prompts = [display_text(units[i].prompt or "").strip('"“”') for i in prompted]
        said = [said_sentences(u.text) for u in units]
        # A unit of one sentence has its text vector for that sentence, unless a verdict is
        # cut off it when said ("No: a healthy system is ..."): then the sentence as said.
        counts = [
            len(s) if len(s) > 1 or verdict_cut(display_text(u.text)) is not None else 0
            for u, s in zip(units, said, strict=True)
        ]
        parts = [sentence for s, n in zip(said, counts, strict=True) if n for sentence in s]
        vectors = []
        every = texts + prompts + parts
        for start in range(0, len(every), batch):
            vectors.extend(embedder.embed_documents(every[start : start + batch]))
        matrix = np.asarray(vectors, dtype=np.float32)
        prompt_vectors = np.zeros((len(units), matrix.shape[1]), np.float32)
        prompt_vectors[prompted] = matrix[len(texts) : len(texts) + len(prompts)]
        sentences = _split(matrix[len(texts) + len(prompts) :], counts)
        return cls(units, matrix[: len(texts)], prompt_vectors, sentences)

    @classmethod
    def concat(cls, parts: list[UnitIndex]) -> UnitIndex:
        """One index of the parts' units, in order (ids must not repeat)."""
        parts = [p for p in parts if p.units]
        if not parts:
            return cls.empty()
        return cls(
            [u for p in parts for u in p.units],
            np.concatenate([p.text_vectors for p in parts]),
            np.concatenate([p.prompt_vectors for p in parts]),
            [v for p in parts for v in p.sentence_vectors],
        )

    def subset(self, document_ids: set[str]) -> UnitIndex:
        """The units (and vector rows) of ``document_ids``, carried over to a new generation."""
        rows = [i for i, u in enumerate(self.units) if u.document_id in document_ids]
        return UnitIndex(
            [self.units[i] for i in rows],
            self.text_vectors[rows],
            self.prompt_vectors[rows],
            [self.sentence_vectors[i] for i in rows],
        )

    def save(self, directory: Path) -> None:
        with open(directory / UNITS_FILE, "w", encoding="utf-8") as handle:
            for unit in self.units:
                handle.write(unit.model_dump_json() + "\n")
        np.save(directory / TEXT_VECTORS, self.text_vectors)
        np.save(directory / PROMPT_VECTORS, self.prompt_vectors)
        dimension = self.text_vectors.shape[1]
        np.save(
            directory / SENTENCE_VECTORS,
            np.concatenate([np.zeros((0, dimension), np.float32), *self.sentence_vectors]),
        )
        np.save(directory / SENTENCE_COUNTS, np.asarray([len(v) for v in self.sentence_vectors]))

    @classmethod
    def load(cls, directory: Path) -> UnitIndex:
        """The units saved in ``directory`` (none for a generation built before units)."""
        if not (directory / UNITS_FILE).exists():
            return cls.empty()
        with open(directory / UNITS_FILE, encoding="utf-8") as handle:
            units = [Unit.model_validate_json(line) for line in handle]
        sentences: list[np.ndarray] = []
        if (directory / SENTENCE_COUNTS).exists():
            counts = np.load(directory / SENTENCE_COUNTS).tolist()
            sentences = _split(np.load(directory / SENTENCE_VECTORS), counts)
        return cls(
            units, np.load(directory / TEXT_VECTORS), np.load(directory / PROMPT_VECTORS), sentences
        )

    def get(self, unit_id: str) -> Unit | None:
        row = self._rows.get(unit_id)
        return self.units[row] if row is not None else None

    def vector(self, unit_id: str) -> np.ndarray:
        """The text vector of a unit."""
        return self.text_vectors[self._rows[unit_id]]

    def select(
        self, kinds: Iterable[str] | None = None, document_ids: Iterable[str] | None = None
    ) -> list[Unit]:
        """Units of the given kinds and documents (all when a filter is None), in index order."""
        kinds = set(kinds) if kinds is not None else None
        documents = set(document_ids) if document_ids is not None else None
        return [
            u
            for u in self.units
            if (kinds is None or u.kind in kinds)
            and (documents is None or u.document_id in documents)
        ]

    def nearest(
        self,
        vector: Sequence[float] | np.ndarray,
        kinds: Iterable[str] | None = None,
        k: int = 10,
        by: str = "text",
        document_ids: Iterable[str] | None = None,
    ) -> list[tuple[Unit, float]]:
        """Units most similar to ``vector`` (cosine), best first; ``by="prompt"`` compares with
        the question or misreading of questions and misreadings only."""
        if not self.units:
            return []
        if by == "prompt":
            kinds = {"question", "misreading"} & (
                set(kinds) if kinds else {"question", "misreading"}
            )
        chosen = self.select(kinds, document_ids)
        if not chosen:
            return []
        rows = np.fromiter((self._rows[u.id] for u in chosen), dtype=np.int64)
        matrix = self.prompt_vectors if by == "prompt" else self.text_vectors
        scores = matrix[rows] @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores)[:k]
        return [(chosen[i], float(scores[i])) for i in order]

    def scored(
        self, vector: Sequence[float] | np.ndarray, document_ids: Iterable[str]
    ) -> list[ScoredUnit]:
        """Every unit of ``document_ids`` scored against ``vector``, in index order: the
        candidates an answer is composed from."""
        chosen = self.select(None, document_ids)
        if not chosen:
            return []
        rows = np.fromiter((self._rows[u.id] for u in chosen), dtype=np.int64)
        query = np.asarray(vector, dtype=np.float32)
        texts = self.text_vectors[rows]
        text_scores, prompt_scores = texts @ query, self.prompt_vectors[rows] @ query
        return [
            ScoredUnit(
                u,
                texts[i],
                float(text_scores[i]),
                float(prompt_scores[i]),
                self.sentence_vectors[row],
            )
            for i, (u, row) in enumerate(zip(chosen, rows, strict=True))
        ]


class ScoredUnit(NamedTuple):
    """A unit with its vectors and its similarities to a question."""

    unit: Unit
    vector: np.ndarray
    similarity: float  # the question against the unit's text
    prompt_similarity: float  # ... against its authored question or misreading
    sentence_vectors: np.ndarray  # one row per sentence said, none for a single sentence


def _split(matrix: np.ndarray, counts: list[int]) -> list[np.ndarray]:
    """``matrix``'s rows in consecutive groups of ``counts``."""
    return np.split(matrix, np.cumsum(counts)[:-1]) if counts else []
