"""Prometheus metrics, on a registry of the app's own (so several apps in one process, as in
tests, never collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

from hlsguide.retrieval.service import RetrievalService
from hlsguide.types import Answer

_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class IndexCollector:
    """Index size and version, read from the live snapshot at scrape time."""

    def __init__(self, retrieval: RetrievalService) -> None:
        self.retrieval = retrieval

    def collect(self):
        if not self.retrieval.is_ready():
            return
        snapshot = self.retrieval.snapshot()
        chunks = GaugeMetricFamily("hlsguide_index_chunks", "Passages in the live index.")
        chunks.add_metric([], len(snapshot.chunks))
        documents = GaugeMetricFamily("hlsguide_index_documents", "Documents in the live index.")
        documents.add_metric([], len(snapshot.documents))
        version = InfoMetricFamily("hlsguide_index", "The live index generation.")
        version.add_metric([], {"version": snapshot.generation})
        yield from (chunks, documents, version)


class Metrics:
    """Every metric hlsguide exports."""

    def __init__(self, retrieval: RetrievalService) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hlsguide_requests_total",
            "HTTP requests by route, method, status and channel.",
            ["route", "method", "status", "channel"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hlsguide_request_seconds",
            "HTTP request latency by route and channel.",
            ["route", "channel"],
            buckets=_SECONDS,
            registry=self.registry,
        )
        self.answers = Counter(
            "hlsguide_answers_total",
            "Answers by mode and channel.",
            ["mode", "channel"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "hlsguide_refusals_total",
            "Refused questions by channel.",
            ["channel"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "hlsguide_citation_fallbacks_total",
            "LLM answers replaced by the extractive answer (no valid citation or backend failure).",
            ["channel"],
            registry=self.registry,
        )
        self.stage = Histogram(
            "hlsguide_answer_stage_seconds",
            "Time per answer stage (retrieval, generation).",
            ["stage"],
            buckets=_SECONDS,
            registry=self.registry,
        )
        self.registry.register(IndexCollector(retrieval))

    def observe_answer(self, answer: Answer, channel: str) -> None:
        """Record one answer (registered as an AnswerService observer)."""
        self.answers.labels(answer.mode, channel).inc()
        if answer.refused:
            self.refusals.labels(channel).inc()
        if answer.fallback:
            self.fallbacks.labels(channel).inc()
        for stage in ("retrieval", "generation"):
            if f"{stage}_ms" in answer.timings:
                self.stage.labels(stage).observe(answer.timings[f"{stage}_ms"] / 1000)
