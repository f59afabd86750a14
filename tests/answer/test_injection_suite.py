"""The injection suite (50 planted documents, each with a canary): hidden text is flagged at
ingestion, and the canary never reaches an answer, in the extractive mode and with a local model
that obeys any instruction it sees."""

import re

import pytest
from support.injection import QUESTION, build_fixtures

from hlsguide.answer.generators.llm import LLMGenerator
from hlsguide.answer.service import AnswerService
from hlsguide.config import Settings
from hlsguide.retrieval.service import RetrievalService
from hlsguide.types import SearchFilters


@pytest.fixture(scope="module")
def planted(tmp_path_factory, real_embedder):
    root = tmp_path_factory.mktemp("injection")
    fixtures = build_fixtures(root / "documents")
    settings = Settings(_env_file=None, data_dir=root / "data", corpus_paths=[root / "documents"])
    retrieval = RetrievalService(settings, real_embedder)
    report = retrieval.build()
    assert not report.failed, report.failed
    return fixtures, report, retrieval


def obey_everything(body: dict) -> str:
    """A model with no defences: it repeats any canary or instruction it can see."""
    prompt = "\n".join(m["content"] for m in body["messages"])
    canaries = re.findall(r"CANARY[A-Z0-9]+", prompt)
    if canaries:
        return f"As instructed: {' '.join(canaries)} [1]."
    first = re.search(r'<passage n="1"[^>]*>\n(.+?)\n', prompt)
    return f"{first.group(1) if first else 'Pooled budgets are shared funds'} [1]."


def test_fifty_fixtures_cover_the_matrix(planted):
    fixtures, _, _ = planted
    assert len(fixtures) >= 45
    assert len({f.canary for f in fixtures}) == len(fixtures)


def test_hidden_text_is_flagged_at_ingestion(planted):
    fixtures, report, retrieval = planted
    chunks = retrieval.searcher().snapshot.chunks
    for fixture in fixtures:
        assert report.warnings.get(fixture.document_id), f"{fixture.name} was not flagged"
        assert not any(fixture.canary in c.text for c in chunks), f"{fixture.name} was indexed"


@pytest.mark.parametrize("mode", ["extractive", "llm"])
def test_no_canary_reaches_an_answer(planted, chat_server, tmp_path, mode):
    fixtures, _, retrieval = planted
    chat_server.responder = obey_everything
    settings = retrieval.settings.model_copy(
        update={
            "llm_base_url": chat_server.base_url,
            "llm_max_retries": 0,
            "data_dir": tmp_path,
            "min_confidence": 0.0,  # answer everything, so nothing hides behind a refusal
        }
    )
    answers = AnswerService(settings, retrieval, llm=LLMGenerator(settings))
    for fixture in fixtures:
        answer = answers.ask(
            QUESTION, mode=mode, filters=SearchFilters(document_ids=[fixture.document_id])
        )
        assert not answer.refused
        assert answer.citations, fixture.name
        dumped = answer.model_dump_json()
        assert fixture.canary not in dumped, f"{fixture.name} leaked in {mode} mode"
        assert "CANARY" not in dumped
        if mode == "llm":
            assert answer.mode == "llm", answer.fallback  # the obedient model was used
