"""``/v1/faq/jobs``: batch FAQ generation in the background, its status, and the download."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hlsguide.admission.callers import AdminCaller
from hlsguide.answer.questions import QuestionError, validate_question
from hlsguide.bootstrap.deps import FaqJobsDep, RetrievalDep, SettingsDep
from hlsguide.faq.formats import MEDIA_TYPES, render
from hlsguide.faq.questions import FaqQuestion
from hlsguide.faq.results import DEFAULT_TITLE
from hlsguide.retrieval.service import IndexNotReadyError
from hlsguide.storage.faq_jobs import active_faq_jobs
from hlsguide.storage.models import FaqJob

router = APIRouter(prefix="/v1/faq", tags=["faq"])
JobId = Path(max_length=64, description="The id POST /v1/faq/jobs returned.")


class FaqQuestionIn(BaseModel):
    """A question with its optional group (a heading of the FAQ) and id."""

    question: str = Field(max_length=20_000)
    group: str | None = Field(None, max_length=200)
    id: str | None = Field(None, min_length=1, max_length=128)


class FaqJobRequest(BaseModel):
    """Questions to answer as one FAQ, as plain strings or with groups and ids."""

    questions: list[str | FaqQuestionIn] = Field(
        min_length=1,
        description="At most HLSGUIDE_FAQ_MAX_QUESTIONS questions.",
        examples=[["What is a learning cycle?", {"question": "What is HLS?", "group": "Basics"}]],
    )
    mode: Literal["extractive", "llm"] | None = Field(
        None, description="Generator; default HLSGUIDE_ANSWER_MODE."
    )
    concurrency: int = Field(2, ge=1, le=8, description="Questions answered at once.")
    title: str = Field(DEFAULT_TITLE, min_length=1, max_length=200)


class FaqJobStatus(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    mode: str
    title: str
    total: int
    answered: int
    failed: int = Field(description="Questions that could not be answered (errors).")
    error: str | None = Field(None, description="Why the job as a whole failed, if it did.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    status_url: str
    result_url: str | None = Field(None, description="Download, once the job is done.")


def _status(request: Request, job: FaqJob) -> FaqJobStatus:
    return FaqJobStatus(
        job_id=job.id,
        status=job.status,
        mode=job.mode,
        title=job.title,
        total=job.total,
        answered=job.answered,
        failed=job.failed,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        status_url=str(request.url_for("faq_job_status", job_id=job.id)),
        result_url=str(request.url_for("faq_job_result", job_id=job.id))
        if job.status == "done"
        else None,
    )


def _questions(body: FaqJobRequest, max_tokens: int, limit: int) -> list[FaqQuestion]:
    """The job's questions, or a 422 listing every bad one."""
    if len(body.questions) > limit:
        raise HTTPException(
            422,
            [
                {
                    "loc": ["body", "questions"],
                    "msg": f"{len(body.questions)} questions; the limit is {limit}",
                    "type": "value_error",
                }
            ],
        )
    errors, questions, seen = [], [], set()
    for n, raw in enumerate(body.questions):
        item = FaqQuestionIn(question=raw) if isinstance(raw, str) else raw
        loc = ["body", "questions", n] + ([] if isinstance(raw, str) else ["question"])
        try:
            text = validate_question(item.question, max_tokens)
        except QuestionError as exc:
            errors.append({"loc": loc, "msg": str(exc), "type": "value_error"})
            continue
        question_id = item.id or f"q{n + 1:03d}"
        if question_id in seen:
            msg = f"the id '{question_id}' is used twice"
            errors.append(
                {"loc": ["body", "questions", n, "id"], "msg": msg, "type": "value_error"}
            )
            continue
        seen.add(question_id)
        questions.append(FaqQuestion(id=question_id, question=text, group=item.group))
    if errors:
        raise HTTPException(422, errors)
    return questions


@router.post(
    "/jobs",
    status_code=202,
    responses={
        422: {"description": "No questions, too many, or a bad question (each one listed)"},
        429: {"description": "Too many FAQ jobs queued or running (Retry-After)"},
        503: {"description": "The index is still being built"},
    },
)
async def create_job(
    body: FaqJobRequest,
    caller: AdminCaller,
    request: Request,
    response: Response,
    settings: SettingsDep,
    retrieval: RetrievalDep,
    jobs: FaqJobsDep,
) -> FaqJobStatus:
    """Start answering the questions in the background; poll ``status_url`` and download from
    ``result_url`` when the job is done. Answers are those /v1/ask gives in the same mode."""
    # Checking hundreds of questions is CPU work: off the event loop.
    questions = await run_in_threadpool(
        _questions, body, settings.max_question_tokens, settings.faq_max_questions
    )
    if not retrieval.is_ready():
        raise IndexNotReadyError("the index has not been built yet; try again shortly")
    active = await run_in_threadpool(active_faq_jobs, jobs.store)
    if active >= settings.faq_max_active_jobs:
        raise HTTPException(
            429,
            f"{active} FAQ jobs are queued or running; the limit is "
            f"{settings.faq_max_active_jobs}. Try again when one has finished",
            headers={"Retry-After": "30"},
        )
    mode = body.mode or settings.answer_mode
    job = await run_in_threadpool(
        jobs.submit, questions, mode, body.concurrency, body.title, caller.owner().id
    )
    jobs.start(job.id)
    status = _status(request, job)
    response.headers["Location"] = status.status_url
    return status


async def _job(jobs, job_id: str) -> FaqJob:
    job = await jobs.status(job_id)
    if job is None:
        raise HTTPException(404, f"no FAQ job with id '{job_id}'")
    return job


@router.get("/jobs/{job_id}", name="faq_job_status", responses={404: {}})
async def job_status(request: Request, jobs: FaqJobsDep, job_id: str = JobId) -> FaqJobStatus:
    """Where the job is: counts of answered and failed questions out of the total."""
    return _status(request, await _job(jobs, job_id))


@router.get(
    "/jobs/{job_id}/result",
    name="faq_job_result",
    response_class=Response,
    responses={
        200: {
            "content": {t: {} for t in MEDIA_TYPES.values()},
            "description": "The FAQ in the format asked for",
        },
        404: {"description": "Unknown job"},
        409: {"description": "The job is not done yet (or failed)"},
    },
)
async def job_result(
    jobs: FaqJobsDep,
    job_id: str = JobId,
    fmt: Literal["md", "html", "json", "csv"] = Query(
        "json", alias="format", description="md, html, json or csv"
    ),
) -> Response:
    """The finished FAQ as Markdown, a standalone HTML page, JSON (every field) or CSV."""
    job = await _job(jobs, job_id)
    if job.status != "done":
        done = job.answered + job.failed
        detail = (
            f"the job failed: {job.error}"
            if job.status == "failed"
            else f"the job is {job.status}: {done} of {job.total} questions finished"
        )
        return JSONResponse({"detail": detail}, status_code=409)
    report = await run_in_threadpool(jobs.report, job)
    headers = {
        "Content-Disposition": f'attachment; filename="faq-{job.id}.{fmt}"',
        "X-Content-Type-Options": "nosniff",
    }
    if fmt == "html":
        # The page has no scripts and no external resources; say so to the browser.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(render(report, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)
