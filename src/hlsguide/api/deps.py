"""Dependencies built once in ``create_app`` and reached through ``Depends`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hlsguide.answer.service import AnswerService
from hlsguide.config import Settings
from hlsguide.faq.jobs import FaqJobs
from hlsguide.retrieval.service import RetrievalService


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_retrieval(request: Request) -> RetrievalService:
    return request.app.state.retrieval


def get_answers(request: Request) -> AnswerService:
    return request.app.state.answers


SettingsDep = Annotated[Settings, Depends(get_settings)]
RetrievalDep = Annotated[RetrievalService, Depends(get_retrieval)]
AnswersDep = Annotated[AnswerService, Depends(get_answers)]


def get_faq_jobs(request: Request) -> FaqJobs:
    return request.app.state.faq_jobs


FaqJobsDep = Annotated[FaqJobs, Depends(get_faq_jobs)]
