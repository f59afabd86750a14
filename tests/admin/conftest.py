"""Console fixtures: a copy of the real corpus index (uploads change it), the app with an admin
key, real uvicorn servers and headless Debian Chromium."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
from support.browser import LiveServer, browser  # noqa: F401 (fixture)

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.retrieval.service import RetrievalService
from hlsguide.storage.api_keys import create_api_key


@dataclass
class Console:
    url: str
    answers: AnswerService
    admin_key: str
    ask_key: str


@pytest.fixture(scope="module")
def console_answers(tmp_path_factory, corpus_service, real_embedder) -> AnswerService:
    """The answer service over a private copy of the real corpus index, its own database and
    curated folder: uploads and approvals here touch nothing another test reads."""
    root = tmp_path_factory.mktemp("console")
    shutil.copytree(corpus_service.settings.index_dir, root / "data" / "index")
    settings = corpus_service.settings.model_copy(
        update={
            "data_dir": root / "data",
            "curated_dir": root / "curated",
            "database_url": None,
        }
    )
    retrieval = RetrievalService(settings, real_embedder)
    return AnswerService(settings, retrieval)


@pytest.fixture(scope="module")
def console(console_answers):
    """The console served by a real uvicorn server."""
    answers = console_answers
    store = answers.store
    admin_key, _ = create_api_key(store, "curator", ["admin"])
    ask_key, _ = create_api_key(store, "widget", ["ask"])
    app = create_app(answers.settings, answers.retrieval, answers)
    with LiveServer(app) as server:
        yield Console(server.url, answers, admin_key, ask_key)
