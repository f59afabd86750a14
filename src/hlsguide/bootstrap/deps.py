"""The services ``create_app`` holds, reached by routes and channels through ``Depends``
aliases (tests pass another bundle to ``create_app``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from hlsguide.admission.limits import AnswerGate
from hlsguide.answer.service import AnswerService
from hlsguide.bootstrap.services import Services
from hlsguide.config import Settings
from hlsguide.corpus.references import Bibliography
from hlsguide.documents.service import DocumentService
from hlsguide.faq.jobs import FaqJobs
from hlsguide.retrieval.service import RetrievalService
from hlsguide.review.service import ReviewService
from hlsguide.storage import Store


def get_services(request: Request) -> Services:
    return request.app.state.services


def _part(name: str) -> Any:
    """A dependency giving the app's ``Services.<name>``."""

    def part(request: Request) -> Any:
        return getattr(get_services(request), name)

    return Depends(part)


SettingsDep = Annotated[Settings, _part("settings")]
RetrievalDep = Annotated[RetrievalService, _part("retrieval")]
AnswersDep = Annotated[AnswerService, _part("answers")]
StoreDep = Annotated[Store, _part("store")]
BibliographyDep = Annotated[Bibliography, _part("bibliography")]
GateDep = Annotated[AnswerGate, _part("gate")]
FaqJobsDep = Annotated[FaqJobs, _part("faq_jobs")]
DocumentsDep = Annotated[DocumentService, _part("documents")]
ReviewDep = Annotated[ReviewService, _part("review")]
