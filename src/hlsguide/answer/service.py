"""The answer service: question -> lens -> retrieval shaped by the lens -> generator -> verified
citations (or refusal) -> logged Answer. Every channel calls this one service."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np

from hlsguide.answer.citations import verify
from hlsguide.answer.curated import CuratedAnswers
from hlsguide.answer.generators import GenerationRequest, Generator, GeneratorError
from hlsguide.answer.generators.base import Candidate
from hlsguide.answer.generators.extractive import ExtractiveGenerator
from hlsguide.answer.links import known_links, strip_unknown_links
from hlsguide.answer.passages import document_order, screen_passages
from hlsguide.answer.prompts import render
from hlsguide.answer.questions import (
    QuestionError,
    looks_like_follow_up,
    names_found,
    validate_question,
)
from hlsguide.answer.ranker import load_ranker
from hlsguide.config import Settings
from hlsguide.corpus.references import Bibliography
from hlsguide.lens import ComplexityLens
from hlsguide.observability.context import current_channel
from hlsguide.privacy.owners import LOCAL, Owner
from hlsguide.retrieval.embeddings import embed_query
from hlsguide.retrieval.search import Searcher
from hlsguide.retrieval.service import IndexedService, RetrievalService
from hlsguide.retrieval.tokens import truncate_tokens
from hlsguide.storage import Store
from hlsguide.storage.answer_log import AnswerLog
from hlsguide.storage.conversations import history as conversation_history
from hlsguide.storage.conversations import new_conversation
from hlsguide.storage.models import AnswerRecord, ConversationTurn
from hlsguide.types import Answer, Chunk, Hit, Lens, SearchFilters

log = logging.getLogger("hlsguide.answer")
Mode = Literal["extractive", "llm"]
# The Markdown source list names this many publications per passage; citations carry all.
MAX_PUBLICATIONS_LISTED = 2
# An out-of-scope-looking question naming what a retrieved passage names is answered unless
# it is at least this close to an off-topic prototype of the lens lexicon (weather, parking):
# under it lie the names of the field's people and works, over it a place's weather.
NAMED_OFF_TOPIC = 0.2
COVERED = (
    "the HLS principles (human, learning, systems); complexity and why outcome targets and "
    "payment by results misfire; learning cycles and experiments; system stewardship; "
    "relational commissioning, alliances and trust-based funding; and case examples from "
    "councils, the NHS, funders and charities"
)


@dataclass(frozen=True)
class Turn:
    """An earlier question of a conversation the caller holds rather than the store (e.g. an
    OpenAI-style message list): what was asked and its standalone form."""

    question: str
    standalone_query: str


@dataclass
class Prepared:
    """A question made ready to answer: standalone query, lens, passages and the units of the
    retrieved documents scored against the question (embedded once, in ``prepare``)."""

    question: str
    standalone_query: str
    conversation_id: str
    lens: Lens
    passages: list[Hit]
    confidence: float
    mode: Mode
    timings: dict[str, float] = field(default_factory=dict)
    owner: Owner = LOCAL
    candidates: list[Candidate] = field(default_factory=list)
    searcher: Searcher | None = None
    vector: list[float] | None = None  # the embedded question, reused by the curated match


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


class AnswerService(IndexedService):
    """Answers questions; built once per process and shared by every channel."""

    def __init__(
        self,
        settings: Settings,
        retrieval: RetrievalService,
        store: Store | None = None,
        llm: Generator | None = None,
        bibliography: Bibliography | None = None,
    ) -> None:
        super().__init__(settings, retrieval, bibliography)
        self.store = store or Store(settings.resolved_database_url, settings.migrate_on_start)
        if llm is not None:
            self.llm = llm  # fills the property
        # Called with (answer, channel) after each answer: metrics hook in here.
        self.observers: list[Callable[[Answer, str], None]] = []

    @cached_property
    def lens(self) -> ComplexityLens:
        return ComplexityLens(self.retrieval.embedder)

    @cached_property
    def extractive(self) -> ExtractiveGenerator:
        embedder = self.retrieval.embedder
        ranker = load_ranker(embedder) if self.settings.unit_ranker else None
        return ExtractiveGenerator(embedder, ranker=ranker)

    @cached_property
    def curated(self) -> CuratedAnswers:
        return CuratedAnswers(self.settings, self.retrieval)

    @cached_property
    def answer_log(self) -> AnswerLog:
        return AnswerLog(self.store, self.settings)

    @cached_property
    def llm(self) -> Generator:
        """The configured LLM generator, built when first asked for an llm-mode answer."""
        from hlsguide.answer.generators.llm import LLMGenerator

        return LLMGenerator(self.settings)

    def prepare(
        self,
        question: str,
        conversation_id: str | None = None,
        filters: SearchFilters | None = None,
        mode: Mode | None = None,
        top_k: int | None = None,
        earlier: Sequence[Turn] = (),
        owner: Owner = LOCAL,
    ) -> Prepared:
        """Validate, condense a follow-up, analyse, retrieve. Raises QuestionError or
        ConversationNotFoundError before any work is logged. ``earlier`` (see ``replay``) is the
        history of a new conversation; a stored ``conversation_id`` brings its own, and only
        its ``owner`` may continue it (for anyone else it is not found). Channels name the
        caller; this process's own tools are LOCAL."""
        timings: dict[str, float] = {}
        question = validate_question(question, self.settings.max_question_tokens)
        mode = mode or self.settings.answer_mode
        start = time.perf_counter()
        history: Sequence[Turn | AnswerRecord | ConversationTurn]
        if conversation_id is None:
            conversation_id, history = new_conversation(self.store, owner.id), list(earlier)
        else:
            history = conversation_history(self.store, conversation_id, owner.id)
        standalone = self._standalone(question, history, mode)
        timings["condense_ms"] = _ms(start)

        start = time.perf_counter()
        # Instructions to the assistant are dropped before anything is embedded or searched;
        # the question is embedded once and the vector serves the lens, search and composer.
        query = self.lens.remainder(standalone) or standalone
        vector = embed_query(self.retrieval.embedder, query)
        timings["embed_ms"] = _ms(start)
        start = time.perf_counter()
        lens = self.lens.analyse(standalone, vector)
        timings["lens_ms"] = _ms(start)

        start = time.perf_counter()
        searcher = self.retrieval.searcher()
        k = top_k or self.settings.answer_passages
        passages = searcher.search(query, k, filters, vector=vector)
        if lens.also_retrieve:
            wanted = SearchFilters(document_ids=lens.also_retrieve)
            if filters is not None:
                wanted = filters.model_copy(update={"document_ids": lens.also_retrieve})
            seen = {h.chunk.id for h in passages}
            extra = [
                h
                for h in searcher.search(query, 3, wanted, vector=vector)
                if h.chunk.id not in seen
            ]
            passages = passages + extra
        candidates = self._candidates(searcher, vector, passages, filters)
        timings["retrieval_ms"] = _ms(start)
        confidence = max((h.dense_similarity or 0.0 for h in passages), default=0.0)
        return Prepared(
            question,
            standalone,
            conversation_id,
            lens,
            passages,
            confidence,
            mode,
            timings,
            owner=owner,
            candidates=candidates,
            searcher=searcher,
            vector=vector,
        )

    def _candidates(
        self,
        searcher: Searcher,
        vector: list[float],
        passages: list[Hit],
        filters: SearchFilters | None,
    ) -> list[Candidate]:
        """Units of the retrieved documents (ranked by ``document_order``), plus the documents
        of the authored questions and misreadings nearest the question (found through the unit
        index, before retrieval ranks them), each scored against the question from its stored
        vectors."""
        documents = document_order(passages)
        matches = filters.matcher() if filters is not None else None
        for unit, similarity in searcher.units.nearest(
            vector, k=self.settings.authored_candidates, by="prompt"
        ):
            allowed = matches is None or matches(searcher.chunk(unit.chunk_id))
            if similarity >= self.settings.authored_min_similarity and allowed:
                documents.append(unit.document_id)
        documents = list(dict.fromkeys(documents))
        rank = {d: r for r, d in enumerate(documents)}
        return [
            Candidate(
                s.unit,
                s.vector,
                s.similarity,
                s.prompt_similarity,
                rank[s.unit.document_id],
                sentence_vectors=s.sentence_vectors,
            )
            for s in searcher.units.scored(vector, documents)
        ]

    def _standalone(
        self,
        question: str,
        history: Sequence[Turn | AnswerRecord | ConversationTurn],
        mode: Mode,
    ) -> str:
        if not history or not looks_like_follow_up(question):
            return question
        if mode == "llm":
            transcript = "\n".join(f"User: {h.question}" for h in history[-3:])
            try:
                return self.llm.condense(transcript, question)  # type: ignore[attr-defined]
            except GeneratorError:
                pass  # the extractive rule below still gives a usable query
        # The latest question that stood on its own names the topic; prefixing it (rather
        # than the last standalone form) keeps a long chain of follow-ups from growing.
        root = next(
            (h.question for h in reversed(history) if not looks_like_follow_up(h.question)),
            history[-1].standalone_query,
        )
        return f"{root} {question}"

    def replay(self, questions: Sequence[str]) -> list[Turn]:
        """Earlier questions of a caller-held conversation, oldest first, condensed turn by turn
        by the extractive rule (no model call per earlier turn). A question that fails
        validation is skipped: it was never answered, so it is not context. Each is cut to one
        token past the limit first: still refused when too long, but a long transcript costs
        no more to check than short ones."""
        turns: list[Turn] = []
        limit = self.settings.max_question_tokens
        for question in questions:
            try:
                question = validate_question(truncate_tokens(question, limit + 1), limit)
            except QuestionError:
                continue
            turns.append(Turn(question, self._standalone(question, turns, "extractive")))
        return turns

    def refuses(self, prepared: Prepared) -> bool:
        """Refusal by construction: nothing left once instructions and requests the guide never
        fulfils (products, suppliers, fees) are set aside ("which software should we buy to run
        HLS learning cycles?" keeps its subject and is answered on learning cycles, under a
        notice that it names no products), weak retrieval, or out of scope
        without a strong match: a passage close to the question, or one naming what it names
        when the question leans to nothing the guide is known not to cover ("Toby Lowe
        background?" words nothing of the guide's subject, but its sources do; "the weather in
        Plymouth this weekend?" stays declined)."""
        lens = prepared.lens
        if not lens.remainder:
            return True
        if prepared.confidence < self.settings.min_confidence:
            return True
        return (
            lens.out_of_scope
            and prepared.confidence < self.settings.scope_override_confidence
            and not (
                lens.off_topic_similarity < NAMED_OFF_TOPIC
                and names_found(lens.remainder, [hit.chunk.text for hit in prepared.passages])
            )
        )

    def complete(
        self, prepared: Prepared, channel: str | None = None, channel_data: dict | None = None
    ) -> Answer:
        """Generate, verify, assemble and log the answer for a prepared question.
        ``channel_data`` (e.g. a user id) is logged only as HLSGUIDE_LOG_CHANNEL_FIELDS allows."""
        channel = channel or current_channel.get()  # the request's channel unless named
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
            conversation_secret=prepared.owner.secret,
            confidence=round(prepared.confidence, 4),
        )
        start = time.perf_counter()
        if self._serve_curated(prepared, answer):
            pass  # an approved answer, its sources re-verified against the live index
        elif self.refuses(prepared):
            answer.refused = True
            answer.answer = "\n\n".join(
                [*self._notices(prepared.lens), render("refusal", covered=COVERED).strip()]
            )
        else:
            searcher = prepared.searcher
            request = GenerationRequest(
                prepared.lens.remainder or prepared.standalone_query,
                prepared.lens,
                prepared.passages,
                prepared.candidates,
                searcher.chunk_at if searcher is not None else None,
                self.lens.framings,
                np.asarray(prepared.vector) if prepared.vector is not None else None,
            )
            body, answer.citations, answer.fallback, answer.mode = self._generate(
                request, prepared.mode
            )
            notices = self._notices(prepared.lens)
            answer.answer = "\n\n".join([*notices, body, sources_section(answer)])
        known = known_links(self.bibliography, answer.citations)
        answer.answer, _ = strip_unknown_links(answer.answer, known)
        timings["generation_ms"] = _ms(start)
        answer.timings = timings
        answer.timings["total_ms"] = round(sum(timings.values()), 1)
        self.answer_log.record(answer, channel, channel_data)
        log.info(
            "answer",
            extra={
                "answer_id": answer.answer_id,
                "channel": channel,
                "mode": answer.mode,
                "refused": answer.refused,
                "fallback": answer.fallback,
                "confidence": answer.confidence,
                "total_ms": answer.timings["total_ms"],
            },
        )
        for observer in self.observers:
            observer(answer, channel)
        return answer

    @staticmethod
    def _notices(lens: Lens) -> list[str]:
        """What the reader must know before the answer: ignored instructions, a request the guide
        does not fulfil, not legal advice."""
        notices = []
        if lens.has("injection"):
            notices.append(render("injection_notice").strip())
        if lens.has("decline"):
            notices.append(render("decline_notice").strip())
        if lens.has("legal_advice"):
            notices.append(render("legal_notice").strip())
        return notices

    def _serve_curated(self, prepared: Prepared, answer: Answer) -> bool:
        """The curated-answer hook (hlsguide.answer.curated): fill ``answer`` from an approved
        answer whose question matches and whose sources still hold; False when none does."""
        match = self.curated.match(prepared.standalone_query, prepared.vector)
        if match is None:
            return False
        answer.curated, answer.mode, answer.citations = True, match.entry.mode, match.citations
        answer.answer = "\n\n".join([match.entry.answer.strip(), sources_section(answer)])
        return True

    def _screened(self, request: GenerationRequest) -> GenerationRequest:
        """``request`` as a model may see it: passages (and the chunks units bring along)
        with what the detector flags or what directs the answer blanked, flagged units left
        out."""
        detector = self.extractive.detector
        locate = request.locate

        def screened_chunk(document_id: str, offset: int) -> Chunk | None:
            chunk = locate(document_id, offset) if locate is not None else None
            if chunk is None:
                return None
            return screen_passages(detector, [Hit(chunk=chunk, score=0.0)])[0].chunk

        return replace(
            request,
            passages=screen_passages(detector, request.passages),
            candidates=self.extractive.liftable(request.candidates),
            locate=screened_chunk,
        )

    def _generate(self, request: GenerationRequest, mode: Mode):
        """(markdown, citations, fallback reason, mode used). An LLM answer without a valid
        citation, or a failing backend, falls back to the extractive answer."""
        fallback = None
        if mode == "llm":
            # The model never sees what the detector flags; the rest is marked as data.
            screened = self._screened(request)
            try:
                draft = self.llm.generate(screened)
                markdown, citations, _ = verify(
                    draft, draft.passages or screened.passages, self.bibliography
                )
                if citations:
                    return markdown, citations, None, "llm"
                fallback = "the language model's answer carried no valid citation"
            except GeneratorError as exc:
                fallback = str(exc)
        draft = self.extractive.generate(request)
        markdown, citations, _ = verify(
            draft, draft.passages or request.passages, self.bibliography
        )
        return markdown, citations, fallback, "extractive"

    def ask(self, question: str, **options) -> Answer:
        """Answer one question (see ``prepare`` for the options; also ``channel`` and
        ``channel_data``, see ``complete``)."""
        channel = options.pop("channel", None)
        channel_data = options.pop("channel_data", None)
        return self.complete(self.prepare(question, **options), channel, channel_data)

    def stream(
        self, prepared: Prepared, channel: str | None = None, channel_data: dict | None = None
    ) -> Iterator[tuple[str, dict]]:
        """Server-sent event payloads: lens, then the verified answer as deltas, citations, done.

        Only verified text is streamed: the answer is generated and checked before the first
        delta leaves, so a citation marker never reaches a reader unresolved."""
        yield "lens", prepared.lens.model_dump()
        answer = self.complete(prepared, channel, channel_data)
        for paragraph in answer.answer.split("\n\n"):
            yield "delta", {"text": paragraph + "\n\n"}
        for citation in answer.citations:
            yield "citation", citation.model_dump()
        yield "done", answer.model_dump(exclude={"answer"})
