"""The services ``create_app`` holds, reached by routes and channels through ``Depends``
aliases (tests pass another bundle to ``create_app``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hlsguide.admission.limits import AnswerGate
from hlsguide.answer.service import AnswerService
from hlsguide.bootstrap.services import Services
from hlsguide.config import Settings
from hlsguide.corpus.references import Bibliography
from hlsguide.documents.service import DocumentService
from hlsguide.faq.jobs import FaqJobs
from hlsguide.retrieval.service import RetrievalService
from hlsguide.storage import Store


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_retrieval(services: ServicesDep) -> RetrievalService:
    return services.retrieval


def get_answers(services: ServicesDep) -> AnswerService:
    return services.answers


def get_store(services: ServicesDep) -> Store:
    return services.store


def get_bibliography(services: ServicesDep) -> Bibliography:
    return services.bibliography


def get_gate(services: ServicesDep) -> AnswerGate:
    return services.gate


def get_faq_jobs(services: ServicesDep) -> FaqJobs:
    return services.faq_jobs


def get_documents(services: ServicesDep) -> DocumentService:
    return services.documents


SettingsDep = Annotated[Settings, Depends(get_settings)]
RetrievalDep = Annotated[RetrievalService, Depends(get_retrieval)]
AnswersDep = Annotated[AnswerService, Depends(get_answers)]
StoreDep = Annotated[Store, Depends(get_store)]
BibliographyDep = Annotated[Bibliography, Depends(get_bibliography)]
GateDep = Annotated[AnswerGate, Depends(get_gate)]
FaqJobsDep = Annotated[FaqJobs, Depends(get_faq_jobs)]
DocumentsDep = Annotated[DocumentService, Depends(get_documents)]
