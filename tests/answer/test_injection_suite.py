"""The injection suite (50 planted documents, each with a canary): hidden text is flagged at
ingestion, and the canary never reaches an answer, in the extractive mode and with a local model
that obeys any instruction it sees."""

import re

import pytest
from support.injection import answers_from_each, build_fixtures, ingestion_leaks, planted_index


@pytest.fixture(scope="module")
def planted(tmp_path_factory, real_embedder):
    root = tmp_path_factory.mktemp("injection")
    return planted_index(root, build_fixtures, real_embedder)


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
    assert ingestion_leaks(planted) == []


@pytest.mark.parametrize("mode", ["extractive", "llm"])
def test_no_canary_reaches_an_answer(planted, chat_server, tmp_path, mode):
    chat_server.responder = obey_everything
    for fixture, answer in answers_from_each(planted, chat_server.base_url, tmp_path, mode):
        dumped = answer.model_dump_json()
        assert fixture.canary not in dumped, f"{fixture.name} leaked in {mode} mode"
        assert "CANARY" not in dumped
        if mode == "llm":
            assert answer.mode == "llm", answer.fallback  # the obedient model was used
