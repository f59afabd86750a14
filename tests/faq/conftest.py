"""Fixtures for batch FAQ tests: an answer service on the small fixture corpus, a counting
asker around the real service, CLI environment."""

from __future__ import annotations

import json
import threading

import pytest

from hlsguide.answer.service import AnswerService

FIXTURE_QUESTIONS = [
    "How do teams learn by trying small changes?",
    "Why do waiting-time targets get gamed?",
    "What is the Riverside alliance?",
    "How do we run a learning review?",
]


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so the runner cannot record it."""


class CountingAsker:
    """The real answer service, counting the questions it is asked; optionally it 'crashes'
    (raises SimulatedCrash) when asked more than ``crash_after`` questions."""

    def __init__(self, inner: AnswerService, crash_after: int | None = None) -> None:
        self.inner = inner
        self.crash_after = crash_after
        self.asked: list[str] = []
        self.options: list[dict] = []
        self._lock = threading.Lock()

    def ask(self, question: str, **options):
        with self._lock:
            if self.crash_after is not None and len(self.asked) >= self.crash_after:
                raise SimulatedCrash
            self.asked.append(question)
            self.options.append(options)
        return self.inner.ask(question, **options)


@pytest.fixture
def fixture_answers(settings, built) -> AnswerService:
    """The answer service on the fixture corpus index (curated answers in a temp folder)."""
    return AnswerService(settings, built)


@pytest.fixture
def cli_env(settings, monkeypatch):
    """Environment that points the CLI at the fixture corpus index and temp curated folder."""
    env = {
        "HLSGUIDE_DATA_DIR": str(settings.data_dir),
        "HLSGUIDE_CORPUS_PATHS": json.dumps([str(p) for p in settings.corpus_paths]),
        "HLSGUIDE_CHUNK_TOKENS": str(settings.chunk_tokens),
        "HLSGUIDE_CHUNK_OVERLAP_TOKENS": str(settings.chunk_overlap_tokens),
        "HLSGUIDE_CURATED_DIR": str(settings.curated_dir),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
