"""``build_services``: every long-lived service of a process, built in one place.

The API, every CLI command and the MCP server start here; nothing reaches one service through
another. Each service is built on first use, so a command touches only what it needs (``hlsguide
search`` never opens the database), and the embedding model loads when first embedding.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from hlsguide.admission.limits import AnswerGate, MemoryRateLimiter, RateLimiter
from hlsguide.answer.service import AnswerService
from hlsguide.config import Settings
from hlsguide.corpus.references import Bibliography
from hlsguide.privacy.identifiers import Pseudonymizer, identifier_secret
from hlsguide.privacy.redact import redact
from hlsguide.retrieval.service import RetrievalService
from hlsguide.review.service import ReviewService
from hlsguide.storage import Store

if TYPE_CHECKING:  # what only the server needs is imported when first built
    from hlsguide.documents.service import DocumentService
    from hlsguide.faq.jobs import FaqJobs


def open_store(settings: Settings) -> Store:
    """The database, with questions and comments redacted (``redact_personal_data``) and
    people's identifiers (chat users, threads, IP buckets) stored as HMAC pseudonyms."""
    return Store(
        settings.resolved_database_url,
        settings.migrate_on_start,
        redact if settings.redact_personal_data else None,
        Pseudonymizer(identifier_secret(settings)),
    )


class Services:
    """The services of one process, each built on first use. ``build_services`` fills in the
    parts a caller already holds (a test's indexed retrieval or answer service)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def retrieval(self) -> RetrievalService:
        return RetrievalService(self.settings)

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings)

    @cached_property
    def bibliography(self) -> Bibliography:
        return Bibliography.load(self.settings.corpus_paths)

    @cached_property
    def answers(self) -> AnswerService:
        return AnswerService(
            self.settings, self.retrieval, self.store, bibliography=self.bibliography
        )

    @cached_property
    def gate(self) -> AnswerGate:
        """At most ``max_concurrent_answers`` answers at once, shared by every channel."""
        return AnswerGate(self.settings.max_concurrent_answers, self.settings.answer_queue_size)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """Per-caller limits: in the database when several workers share one budget."""
        backend = self.settings.rate_limit_backend
        if backend == "database" or (backend == "auto" and self.settings.database_url):
            from hlsguide.storage.rate_limits import DatabaseRateLimiter

            return DatabaseRateLimiter(self.store)
        return MemoryRateLimiter()

    @cached_property
    def faq_jobs(self) -> FaqJobs:
        from hlsguide.faq.jobs import FaqJobs

        return FaqJobs(self.settings, self.answers, self.store)

    @cached_property
    def documents(self) -> DocumentService:
        from hlsguide.documents.service import DocumentService

        return DocumentService(self.retrieval)

    @cached_property
    def review(self) -> ReviewService:
        return ReviewService(self.settings, self.retrieval, self.documents, self.bibliography)

    def build_all(self) -> Services:
        """Build every service now: a server does, before requests reach them from several
        threads (the model still loads on first use)."""
        for part in ("answers", "gate", "rate_limiter", "faq_jobs", "documents", "review"):
            getattr(self, part)
        return self


def build_services(
    settings: Settings | None = None,
    *,
    retrieval: RetrievalService | None = None,
    answers: AnswerService | None = None,
) -> Services:
    """The services for ``settings`` (environment and .env when None). A caller that already
    holds a retrieval or answer service (a test sharing one index) passes it in; the bundle
    then shares its store and bibliography."""
    # A given part fills its cached property, so nothing is built twice.
    if answers is not None:
        services = Services(settings or answers.settings)
        services.answers = answers
        services.store = answers.store
        services.bibliography = answers.bibliography
        retrieval = retrieval or answers.retrieval
    else:
        services = Services(settings or (retrieval.settings if retrieval else Settings()))
    if retrieval is not None:
        services.retrieval = retrieval
    return services
