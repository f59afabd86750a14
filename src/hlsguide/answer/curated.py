"""Curated answers: reviewer-approved answers kept as YAML files (one per question) in
``HLSGUIDE_CURATED_DIR`` (default ``curated/``, beside ``corpus/`` and outside it, so the indexer
and the corpus checks never read it), reviewed in git like the corpus.

A question is served a curated answer when its embedding (the bundled model, cosine) is at least
``HLSGUIDE_CURATED_THRESHOLD`` similar to an approved question or one of its ``also_asked_as``
phrasings, and every citation of that answer still holds in the live index: the cited chunk
exists and still contains the quote (a chunk re-cut since approval is found again by its quote
within the same document). A curated answer whose sources vanished is not served; the question
gets the normal answer.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, Field, ValidationError

from hlsguide.answer.citations import MARKER, location
from hlsguide.config import Settings
from hlsguide.retrieval.embeddings import embed_query
from hlsguide.retrieval.service import RetrievalService
from hlsguide.types import Chunk, Citation, Hit

log = logging.getLogger(__name__)


class CuratedAnswer(BaseModel):
    """One approved answer, as its YAML file holds it."""

    question: str = Field(min_length=1)
    also_asked_as: list[str] = Field(
        default_factory=list, description="Other phrasings that should get this answer."
    )
    answer: str = Field(min_length=1, description="Markdown with [n] markers, no Sources list.")
    citations: list[Citation] = Field(min_length=1)
    mode: str = "extractive"
    approved_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    approved_by: str | None = None
    source_answer_id: str | None = None
    index_version: str | None = Field(None, description="The index the answer was approved on.")

    def phrasings(self) -> list[str]:
        return [self.question, *self.also_asked_as]

    def problems(self) -> list[str]:
        """Markers without a citation (e.g. after hand-editing the answer)."""
        numbers = {c.n for c in self.citations}
        return [
            f"marker [{n}] has no citation"
            for n in dict.fromkeys(int(m) for m in MARKER.findall(self.answer))
            if n not in numbers
        ]


def _literal_strings(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(str, _literal_strings)


def file_stem(question: str) -> str:
    """The file name of a question's entry: readable, and the same for the same question."""
    words = re.findall(r"[a-z0-9]+", question.lower())
    slug = "-".join(words)[:60].strip("-") or "question"
    digest = hashlib.sha1(" ".join(words).encode()).hexdigest()[:8]
    return f"{slug}-{digest}"


class CuratedStore:
    """The folder of curated YAML files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("*.yaml") if p.is_file())

    def signature(self) -> tuple:
        """Changes whenever a file is added, removed or edited (checked before each match)."""
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in self.files())

    def load(self) -> tuple[dict[str, CuratedAnswer], list[str]]:
        """(entries by id, problems of files that could not be used)."""
        entries: dict[str, CuratedAnswer] = {}
        problems: list[str] = []
        for path in self.files():
            try:
                entry = CuratedAnswer.model_validate(yaml.safe_load(path.read_text("utf-8")))
            except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
                problems.append(f"{path}: {str(exc).splitlines()[0]}")
                continue
            if broken := entry.problems():
                problems.append(f"{path}: {'; '.join(broken)}")
                continue
            entries[path.stem] = entry
        return entries, problems

    def path_for(self, question: str) -> Path:
        return self.directory / f"{file_stem(question)}.yaml"

    def existing(self, question: str) -> CuratedAnswer | None:
        """The readable entry already approved for this question, if any."""
        path = self.path_for(question)
        try:
            return CuratedAnswer.model_validate(yaml.safe_load(path.read_text("utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError):
            return None

    def write(self, entry: CuratedAnswer) -> Path:
        """Write (or replace) the entry for its question; returns the file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(entry.question)
        data = entry.model_dump(mode="json", exclude_none=True)
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        temporary = path.with_suffix(".yaml.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        return path


@dataclass(frozen=True)
class CuratedMatch:
    """A curated answer chosen for a question, with its citations checked against the index."""

    id: str
    entry: CuratedAnswer
    similarity: float
    citations: list[Citation]


@dataclass
class _Loaded:
    signature: tuple
    entries: dict[str, CuratedAnswer]
    owners: list[str]  # entry id of each row of ``vectors``
    vectors: np.ndarray


class CuratedAnswers:
    """Matches questions to curated answers and re-verifies their citations; one per service."""

    def __init__(self, settings: Settings, retrieval: RetrievalService) -> None:
        self.settings = settings
        self.retrieval = retrieval
        self.store = CuratedStore(settings.curated_dir)
        self._loaded: _Loaded | None = None
        self._chunks: tuple[str, dict[str, Chunk], dict[str, list[Chunk]]] | None = None
        self._lock = threading.Lock()

    def _current(self) -> _Loaded:
        signature = self.store.signature()
        with self._lock:
            if self._loaded is None or self._loaded.signature != signature:
                entries, problems = self.store.load()
                for problem in problems:
                    log.warning("curated answer skipped: %s", problem)
                owners = [key for key, e in entries.items() for _ in e.phrasings()]
                texts = [text for e in entries.values() for text in e.phrasings()]
                vectors = np.asarray(self.retrieval.embedder.embed_documents(texts))
                self._loaded = _Loaded(signature, entries, owners, vectors)
            return self._loaded

    def similarities(self, query: str) -> list[tuple[str, float]]:
        """(entry id, best cosine over its phrasings) for every entry, most similar first."""
        return self._similarities(self._current(), query)

    def _similarities(
        self, loaded: _Loaded, query: str, vector: list[float] | None = None
    ) -> list[tuple[str, float]]:
        if not loaded.entries:
            return []
        if vector is None:
            vector = embed_query(self.retrieval.embedder, query)
        scores = loaded.vectors @ np.asarray(vector)
        best: dict[str, float] = {}
        for owner, score in zip(loaded.owners, scores.tolist(), strict=True):
            best[owner] = max(best.get(owner, -1.0), score)
        return sorted(best.items(), key=lambda pair: -pair[1])

    def match(self, query: str, vector: list[float] | None = None) -> CuratedMatch | None:
        """The most similar curated answer at or above the threshold whose sources all still
        hold in the live index; None otherwise (and when there are no curated answers). Pass
        the query's ``vector`` when it is already embedded."""
        loaded = self._current()
        for entry_id, similarity in self._similarities(loaded, query, vector):
            if similarity < self.settings.curated_threshold:
                break
            entry = loaded.entries[entry_id]
            citations, problem = self.verify(entry.citations)
            if problem is None:
                return CuratedMatch(entry_id, entry, similarity, citations)
            log.warning("curated answer %s not served: %s", entry_id, problem)
        return None

    def _chunk_maps(self) -> tuple[dict[str, Chunk], dict[str, list[Chunk]]]:
        snapshot = self.retrieval.snapshot()
        with self._lock:
            if self._chunks is None or self._chunks[0] != snapshot.generation:
                by_id = {chunk.id: chunk for chunk in snapshot.chunks}
                by_document: dict[str, list[Chunk]] = {}
                for chunk in snapshot.chunks:
                    by_document.setdefault(chunk.document_id, []).append(chunk)
                self._chunks = (snapshot.generation, by_id, by_document)
            return self._chunks[1], self._chunks[2]

    def verify(self, citations: list[Citation]) -> tuple[list[Citation], str | None]:
        """Citations re-pointed at the live index, or the first one that no longer holds."""
        by_id, by_document = self._chunk_maps()
        verified = []
        for citation in citations:
            quote = citation.quote
            chunk = by_id.get(citation.chunk_id)
            if not quote or chunk is None or quote not in chunk.text:
                candidates = by_document.get(citation.document_id, [])
                chunk = next((c for c in candidates if quote and quote in c.text), None)
            if chunk is None:
                return [], (
                    f"source [{citation.n}] ({citation.chunk_id}) is no longer in the index "
                    "with its quote"
                )
            verified.append(
                citation.model_copy(
                    update={
                        "chunk_id": chunk.id,
                        "title": chunk.title,
                        "kind": chunk.kind,
                        "heading": chunk.heading,
                        "location": location(Hit(chunk=chunk, score=0.0)),
                    }
                )
            )
        return verified, None
