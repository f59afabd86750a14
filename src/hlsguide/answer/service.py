"""The answer service: question -> lens -> retrieval shaped by the lens -> generator -> verified
citations (or refusal) -> logged Answer. Every channel calls this one service."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from hlsguide.answer.citations import Draft, verify
from hlsguide.answer.generators import GenerationRequest, Generator, GeneratorError
from hlsguide.answer.generators.extractive import ExtractiveGenerator
from hlsguide.answer.prompts import render
from hlsguide.answer.questions import looks_like_follow_up, validate_question
from hlsguide.config import Settings
from hlsguide.corpus.references import Bibliography
from hlsguide.lens import ComplexityLens
from hlsguide.retrieval.embeddings import embed_query
from hlsguide.retrieval.service import RetrievalService
from hlsguide.storage import Store
from hlsguide.types import Answer, Hit, Lens, SearchFilters

Mode = Literal["extractive", "llm"]
# The Markdown source list names this many publications per passage; citations carry all.
MAX_PUBLICATIONS_LISTED = 2
COVERED = (
    "the HLS principles (human, learning, systems); complexity and why outcome targets and "
    "payment by results misfire; learning cycles and experiments; system stewardship; "
    "relational commissioning, alliances and trust-based funding; and case examples from "
    "councils, the NHS, funders and charities"
)


@dataclass
class Prepared:
    """A question made ready to answer: standalone query, lens and passages."""

    question: str
    standalone_query: str
    conversation_id: str
    lens: Lens
    passages: list[Hit]
    confidence: float
    mode: Mode
    timings: dict[str, float] = field(default_factory=dict)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def sources_section(answer: Answer) -> str:
    """The numbered source list that ends every cited answer."""
    lines = ["### Sources", ""]
    for c in answer.citations:
        where = f", {c.heading}" if c.heading else ""
        shown = c.publications[:MAX_PUBLICATIONS_LISTED]
        pubs = "; ".join(p.formatted + (f" {p.url}" if p.url else "") for p in shown)
        lines.append(f"[{c.n}] {c.title}{where} ({c.kind}).{' ' + pubs if pubs else ''}")
    return "\n".join(lines)


class AnswerService:
    """Answers questions; built once per process and shared by every channel."""

    def __init__(
        self,
        settings: Settings,
        retrieval: RetrievalService,
        store: Store | None = None,
        llm: Generator | None = None,
    ) -> None:
        self.settings = settings
        self.retrieval = retrieval
        self.store = store or Store(settings.resolved_database_url)
        self._llm = llm

    @cached_property
    def lens(self) -> ComplexityLens:
        return ComplexityLens(self.retrieval.embedder)

    @cached_property
    def bibliography(self) -> Bibliography:
        return Bibliography.load(self.settings.corpus_paths)

    @cached_property
    def extractive(self) -> ExtractiveGenerator:
        return ExtractiveGenerator(self.retrieval.embedder)

    @property
    def llm(self) -> Generator:
        if self._llm is None:
            from hlsguide.answer.generators.llm import LLMGenerator

            self._llm = LLMGenerator(self.settings)
        return self._llm

    def prepare(
        self,
        question: str,
        conversation_id: str | None = None,
        filters: SearchFilters | None = None,
        mode: Mode | None = None,
        top_k: int | None = None,
    ) -> Prepared:
        """Validate, condense a follow-up, analyse, retrieve. Raises QuestionError or
        ConversationNotFoundError before any work is logged."""
        timings: dict[str, float] = {}
        question = validate_question(question, self.settings.max_question_tokens)
        mode = mode or self.settings.answer_mode
        start = time.perf_counter()
        if conversation_id is None:
            conversation_id, history = self.store.new_conversation(), []
        else:
            history = self.store.history(conversation_id)
        standalone = self._standalone(question, history, mode)
        timings["condense_ms"] = _ms(start)

        start = time.perf_counter()
        lens = self.lens.analyse(standalone, embed_query(self.retrieval.embedder, standalone))
        timings["lens_ms"] = _ms(start)

        start = time.perf_counter()
        searcher = self.retrieval.searcher()
        k = top_k or self.settings.answer_passages
        passages = searcher.search(standalone, k, filters)
        if lens.also_retrieve:
            wanted = SearchFilters(document_ids=lens.also_retrieve)
            if filters is not None:
                wanted = filters.model_copy(update={"document_ids": lens.also_retrieve})
            seen = {h.chunk.id for h in passages}
            extra = [h for h in searcher.search(standalone, 3, wanted) if h.chunk.id not in seen]
            passages = passages + extra
        timings["retrieval_ms"] = _ms(start)
        confidence = max((h.dense_similarity or 0.0 for h in passages), default=0.0)
        return Prepared(
            question, standalone, conversation_id, lens, passages, confidence, mode, timings
        )

    def _standalone(self, question: str, history, mode: Mode) -> str:
        if not history or not looks_like_follow_up(question):
            return question
        if mode == "llm":
            transcript = "\n".join(f"User: {h.question}" for h in history[-3:])
            try:
                return self.llm.condense(transcript, question)  # type: ignore[attr-defined]
            except GeneratorError:
                pass  # the extractive rule below still gives a usable query
        return f"{history[-1].standalone_query} {question}"

    def refuses(self, prepared: Prepared) -> bool:
        """Refusal by construction: weak retrieval, or out of scope without a strong match."""
        if prepared.confidence < self.settings.min_confidence:
            return True
        return (
            prepared.lens.out_of_scope
            and prepared.confidence < self.settings.scope_override_confidence
        )

    def complete(self, prepared: Prepared, channel: str = "api") -> Answer:
        """Generate, verify, assemble and log the answer for a prepared question."""
        timings = dict(prepared.timings)
        answer = Answer(
            answer_id=uuid.uuid4().hex,
            question=prepared.question,
            standalone_query=prepared.standalone_query,
            answer="",
            citations=[],
            lens=prepared.lens,
            mode=prepared.mode,
            conversation_id=prepared.conversation_id,
            confidence=round(prepared.confidence, 4),
        )
        start = time.perf_counter()
        if self.refuses(prepared):
            answer.refused = True
            answer.answer = render("refusal", covered=COVERED).strip()
        else:
            request = GenerationRequest(prepared.standalone_query, prepared.lens, prepared.passages)
            body, answer.citations, answer.fallback, answer.mode = self._generate(
                request, prepared.mode
            )
            notices = []
            if prepared.lens.has("injection"):
                notices.append(render("injection_notice").strip())
            if prepared.lens.has("legal_advice"):
                notices.append(render("legal_notice").strip())
            answer.answer = "\n\n".join([*notices, body, sources_section(answer)])
        timings["generation_ms"] = _ms(start)
        answer.timings = timings
        answer.timings["total_ms"] = round(sum(timings.values()), 1)
        self.store.record_answer(answer, channel)
        return answer

    def _generate(self, request: GenerationRequest, mode: Mode):
        """(markdown, citations, fallback reason, mode used). An LLM answer without a valid
        citation, or a failing backend, falls back to the extractive answer."""
        fallback = None
        if mode == "llm":
            try:
                markdown, citations, _ = verify(
                    self.llm.generate(request), request.passages, self.bibliography
                )
                if citations:
                    return markdown, citations, None, "llm"
                fallback = "the language model's answer carried no valid citation"
            except GeneratorError as exc:
                fallback = str(exc)
        draft: Draft = self.extractive.generate(request)
        markdown, citations, _ = verify(draft, request.passages, self.bibliography)
        return markdown, citations, fallback, "extractive"

    def ask(self, question: str, **options) -> Answer:
        """Answer one question (see ``prepare`` for the options)."""
        channel = options.pop("channel", "api")
        return self.complete(self.prepare(question, **options), channel)

    def stream(self, prepared: Prepared, channel: str = "api") -> Iterator[tuple[str, dict]]:
        """Server-sent event payloads: lens, then the verified answer as deltas, citations, done.

        Only verified text is streamed: the answer is generated and checked before the first
        delta leaves, so a citation marker never reaches a reader unresolved."""
        yield "lens", prepared.lens.model_dump()
        answer = self.complete(prepared, channel)
        for paragraph in answer.answer.split("\n\n"):
            yield "delta", {"text": paragraph + "\n\n"}
        for citation in answer.citations:
            yield "citation", citation.model_dump()
        yield "done", answer.model_dump(exclude={"answer"})
