"""The data that moves between layers: documents, chunks and search hits."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

# The vocabulary documents and filters share. Kinds of corpus documents, and the kind every
# uploaded document gets, whatever its front matter says.
KINDS = ("concept", "practice", "case", "source")
USER_KIND = "document"
PRINCIPLES = ("human", "learning", "systems")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@cache
def known_topics() -> frozenset[str]:
    """The topic vocabulary of the corpus contract (data packaged with hlsguide.corpus, read
    here as data: this module sits below every layer and imports none of them)."""
    import yaml  # only when a filter is checked: a client of the types never parses YAML

    contract = resources.files("hlsguide.corpus").joinpath("contract.yaml").read_text()
    return frozenset(yaml.safe_load(contract)["topics"])


UnitKind = Literal["key_point", "question", "misreading", "step", "sentence"]


class Section(BaseModel):
    """A run of source text under one heading path (or one PDF page)."""

    text: str
    start: int = Field(description="Character offset of ``text`` in the source text.")
    heading_path: list[str] = Field(default_factory=list)
    page: int | None = None


class Unit(BaseModel):
    """Text that can be lifted into an answer on its own, with exact provenance.

    Corpus documents carry authored units (contract v2: key points, questions with answers,
    misreadings with corrections, practice steps); every document also yields candidate
    sentences (``sentence``, or ``step`` when imperative) bound to their antecedents.
    """

    id: str
    document_id: str
    chunk_id: str = Field("", description="The chunk holding the unit's start (set at indexing).")
    kind: UnitKind
    text: str = Field(description="The unit as written (Markdown), source[start:end].")
    prompt: str | None = Field(None, description="The question, or the misreading as said.")
    start: int = Field(description="Character offset in the source text (Chunk.start's frame).")
    end: int
    title: str
    doc_kind: str
    citations: list[str] = Field(default_factory=list, description="[@key] in the text.")


class DocumentMetadata(BaseModel):
    """What a document says of itself (a corpus document's front matter)."""

    id: str
    title: str
    kind: str
    summary: str = ""
    topics: list[str] = Field(default_factory=list)
    principles: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)


class SourceDocument(DocumentMetadata):
    """A loaded document: its metadata and its text cut into sections."""

    source_path: str
    content_hash: str
    sections: list[Section] = Field(default_factory=list)
    warnings: list[str] = Field(
        default_factory=list, description="Hidden or model-directed text removed at ingestion."
    )
    units: list[Unit] = Field(
        default_factory=list, description="Authored (contract v2) units; chunk ids unset."
    )


class Chunk(BaseModel):
    """A token-bounded passage with full provenance."""

    id: str
    document_id: str
    title: str
    kind: str
    text: str
    source_path: str
    heading_path: list[str] = Field(default_factory=list)
    page: int | None = None
    start: int
    end: int
    token_count: int
    content_hash: str
    topics: list[str] = Field(default_factory=list)
    principles: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list, description="[@key] found in the text.")

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)

    def embedding_text(self) -> str:
        """Text given to the embedder and BM25: title and headings add context to the passage."""
        head = " > ".join([self.title, *self.heading_path])
        return f"{head}\n\n{self.text}"


# Filters come from callers: bounded in count and length, and checked against the vocabulary,
# so a request cannot make every chunk test against an arbitrarily large list.
MAX_FILTER_VALUES = 20
MAX_FILTER_VALUE_LENGTH = 100
_FilterValue = Annotated[str, StringConstraints(max_length=MAX_FILTER_VALUE_LENGTH)]


def _count_first(values: object) -> object:
    # Before any item is validated: a list of 200,000 values is refused at once.
    if isinstance(values, list) and len(values) > MAX_FILTER_VALUES:
        raise ValueError(f"at most {MAX_FILTER_VALUES} values, not {len(values)}")
    return values


_FilterList = Annotated[
    list[_FilterValue], BeforeValidator(_count_first), Field(max_length=MAX_FILTER_VALUES)
]


class SearchFilters(BaseModel):
    """Metadata filters; within a field any value matches, across fields all must match."""

    kinds: _FilterList = Field(default_factory=list)
    topics: _FilterList = Field(default_factory=list)
    principles: _FilterList = Field(default_factory=list)
    document_ids: _FilterList = Field(default_factory=list)

    @field_validator("kinds", "topics", "principles", "document_ids")
    @classmethod
    def _known_values(cls, values: list[str], info: ValidationInfo) -> list[str]:
        if info.field_name == "document_ids":
            bad = [v for v in values if not ID_PATTERN.match(v)]
            allowed = "ids of lowercase letters, digits and hyphens"
        else:
            vocabulary = {
                "kinds": (*KINDS, USER_KIND),
                "principles": PRINCIPLES,
                "topics": sorted(known_topics()),
            }[str(info.field_name)]
            bad = [v for v in values if v not in vocabulary]
            allowed = "one of " + ", ".join(vocabulary)
        if bad:
            shown = ", ".join(repr(v[:40]) for v in bad[:3])
            raise ValueError(f"unknown {info.field_name} {shown}; allowed: {allowed}")
        return list(dict.fromkeys(values))

    def matcher(self) -> Callable[[Chunk], bool]:
        """A test for chunks with the filter sets built once, for use over many chunks."""
        kinds, topics = frozenset(self.kinds), frozenset(self.topics)
        principles, documents = frozenset(self.principles), frozenset(self.document_ids)

        def matches(chunk: Chunk) -> bool:
            return (
                (not kinds or chunk.kind in kinds)
                and (not topics or not topics.isdisjoint(chunk.topics))
                and (not principles or not principles.isdisjoint(chunk.principles))
                and (not documents or chunk.document_id in documents)
            )

        return matches

    def is_empty(self) -> bool:
        return not (self.kinds or self.topics or self.principles or self.document_ids)


class Hit(BaseModel):
    """One search result: the passage, its fused score and the rank it had in each retriever."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_similarity: float | None = Field(
        None, description="Cosine similarity of the passage to the query (dense retrieval)."
    )


class LensMatch(BaseModel):
    """A framing flag or complexity signal, with the words in the question that raised it."""

    name: str
    label: str
    evidence: list[str] = Field(default_factory=list)


class Lens(BaseModel):
    """What a question is about and how it is framed: the complexity lens."""

    principles: dict[str, float] = Field(description="Score per HLS principle, 0 to 1.")
    touched_principles: list[str] = Field(default_factory=list)
    flags: list[LensMatch] = Field(default_factory=list)
    signals: list[LensMatch] = Field(default_factory=list)
    out_of_scope: bool = False
    scope_similarity: float = 0.0
    off_topic_similarity: float = Field(
        0.0, description="Closeness to work the guide does not cover (weather, road repairs)."
    )
    also_retrieve: list[str] = Field(
        default_factory=list, description="Documents the framing calls for (e.g. on gaming)."
    )
    kind: str = Field(
        "general",
        description="Question kind: definition, how_to, example, evidence, comparison, "
        "claim_check or general (lens lexicon).",
    )
    yes_no: bool = Field(
        False,
        description="Whether the question can be answered yes or no (a claim check always "
        "can): a verdict such as 'No: ...' may open its answer.",
    )
    remainder: str = Field(
        "", description="The question without clauses addressed to the assistant."
    )

    def has(self, flag: str) -> bool:
        return any(f.name == flag for f in self.flags)

    @property
    def reframe_flags(self) -> list[LensMatch]:
        return [f for f in self.flags if f.name not in {"legal_advice", "injection", "decline"}]


class Publication(BaseModel):
    """A published source a passage rests on, formatted from references.yaml."""

    id: str
    formatted: str
    doi: str | None = None
    url: str | None = None


class Citation(BaseModel):
    """A verified citation: marker ``[n]`` points at a retrieved passage and a quote in it."""

    n: int
    chunk_id: str
    document_id: str
    title: str
    kind: str
    heading: str
    quote: str = Field(description="An exact substring of the cited passage.")
    location: str
    publications: list[Publication] = Field(default_factory=list)


class Answer(BaseModel):
    """A grounded answer: Markdown with [n] markers, the citations they resolve to, the lens."""

    answer_id: str
    question: str
    standalone_query: str
    answer: str
    citations: list[Citation]
    lens: Lens
    mode: str
    conversation_id: str | None = None
    conversation_secret: str | None = Field(
        None,
        description="For a caller without an API key: the secret that makes the conversation "
        "its own. Send it back with conversation_id to continue, read or delete it.",
    )
    refused: bool = False
    fallback: str | None = Field(
        None, description="Why the requested generator's answer was replaced, if it was."
    )
    confidence: float = Field(0.0, description="Best dense similarity among retrieved passages.")
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
    curated: bool = Field(
        False,
        description="A reviewer-approved answer served for a matching question, its citations "
        "re-verified against the current index.",
    )
