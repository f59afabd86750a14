"""The review service: a draft -> paragraphs -> specification lens -> cited advice -> Review.

The draft is read in memory and is neither stored nor indexed, unless the caller asks
(``store``), in which case it goes through the document service like any upload."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import cached_property

import numpy as np

from hlsguide.config import Settings
from hlsguide.corpus.references import Bibliography
from hlsguide.documents.service import DocumentService
from hlsguide.lens.specification import SpecificationLens
from hlsguide.retrieval.service import RetrievalService
from hlsguide.review.compose import Advisor
from hlsguide.review.draft import paragraphs
from hlsguide.review.models import Change, Finding, Review, Strength
from hlsguide.review.units import IndexedUnits
from hlsguide.types import SourceDocument

Progress = Callable[[int, int], None]
TOP_CHANGES = 3
# Paragraphs embedded per call: the progress bar moves once per batch.
BATCH = 64


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


class ReviewService:
    """Reviews specification drafts; built once per process, shared by the API and the CLI."""

    def __init__(
        self,
        settings: Settings,
        retrieval: RetrievalService,
        documents: DocumentService | None = None,
        bibliography: Bibliography | None = None,
    ) -> None:
        self.settings = settings
        self.retrieval = retrieval
        self.documents = documents or DocumentService(retrieval)
        if bibliography is not None:
            self.bibliography = bibliography  # fills the cached property
        self._advisor: tuple[str, Advisor] | None = None
        self._lock = threading.Lock()

    @cached_property
    def lens(self) -> SpecificationLens:
        return SpecificationLens(self.retrieval.embedder)

    @cached_property
    def bibliography(self) -> Bibliography:
        return Bibliography.load(self.settings.corpus_paths)

    def advisor(self) -> tuple[str, Advisor]:
        """(index generation, advisor over its units), rebuilt when the index changes."""
        searcher = self.retrieval.searcher()
        generation = searcher.snapshot.generation
        with self._lock:
            if self._advisor is None or self._advisor[0] != generation:
                advisor = Advisor(
                    self.lens, IndexedUnits(searcher), self.retrieval.embedder, self.bibliography
                )
                self._advisor = (generation, advisor)
            return self._advisor

    def read(self, data: bytes, filename: str) -> SourceDocument:
        """Parse a draft with the checks of an upload (size, sniffed type, isolated parsing,
        page and time limits); raises ``UploadError``. Nothing is written."""
        return self.documents.parse(data, filename)[1]

    def store(self, data: bytes, filename: str) -> str:
        """Keep and index the draft as an uploaded document (only when the caller asks)."""
        return self.documents.upload(data, filename, replace=True).id

    def review(self, document: SourceDocument, progress: Progress | None = None) -> Review:
        """Review every paragraph of ``document``; ``progress(done, total)`` after each batch."""
        timings: dict[str, float] = {}
        start = time.perf_counter()
        generation, advisor = self.advisor()
        lens = self.lens
        timings["setup_ms"] = _ms(start)
        found = paragraphs(document)
        reviewable = [p for p in found if lens.reviewable(p.text)]
        findings: list[Finding] = []
        strengths: list[Strength] = []
        embed_ms = detect_ms = 0.0
        for at in range(0, len(reviewable), BATCH):
            batch = reviewable[at : at + BATCH]
            start = time.perf_counter()
            vectors = np.asarray(self.retrieval.embedder.embed_documents([p.text for p in batch]))
            embed_ms += _ms(start)
            start = time.perf_counter()
            for paragraph, vector in zip(batch, vectors, strict=True):
                matches = lens.framings_in(paragraph.text, vector)
                if matches:
                    framings = [lens.by_name[m.name] for m in matches]
                    why, instead, citations = advisor.advise(vector, framings)
                    findings.append(
                        Finding(
                            paragraph=paragraph.index,
                            quote=paragraph.text,
                            heading=paragraph.heading,
                            page=paragraph.page,
                            framings=matches,
                            why=why,
                            instead=instead,
                            citations=citations,
                        )
                    )
                elif good := lens.strengths_in(paragraph.text):
                    strengths.append(
                        Strength(paragraph=paragraph.index, quote=paragraph.text, strengths=good)
                    )
            detect_ms += _ms(start)
            if progress is not None:
                progress(min(at + BATCH, len(reviewable)), len(reviewable))
        if progress is not None and not reviewable:
            progress(0, 0)
        timings["embedding_ms"] = round(embed_ms, 1)
        timings["review_ms"] = round(detect_ms, 1)
        counts = Counter(m.name for f in findings for m in f.framings)
        return Review(
            title=document.title,
            paragraphs=len(found),
            reviewed=len(reviewable),
            counts={f.name: counts[f.name] for f in lens.framings},
            top_changes=self._top_changes(findings, counts),
            findings=findings,
            strengths=strengths,
            index_version=generation,
            timings=timings,
        )

    def _top_changes(self, findings: list[Finding], counts: Counter) -> list[Change]:
        """The most frequent framings (ties in the lexicon's order), each with its change."""
        order = [f.name for f in self.lens.framings]
        ranked = sorted(counts, key=lambda name: (-counts[name], order.index(name)))
        return [
            Change(
                framing=name,
                label=self.lens.by_name[name].label,
                change=self.lens.by_name[name].change,
                paragraphs=[
                    f.paragraph for f in findings if any(m.name == name for m in f.framings)
                ],
            )
            for name in ranked[:TOP_CHANGES]
        ]
