"""``/admin/faq``: batch FAQ jobs from pasted or uploaded questions, their live progress, the
four downloads, and the review: each answer beside its sources, approved (through the same
``approve`` that ``hlsguide faq approve`` runs, which re-verifies every citation) or rejected,
with a note."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from hlsguide.admin.auth import FormDep, SignedInDep, store_of
from hlsguide.admin.security import HEADERS
from hlsguide.admin.templating import page
from hlsguide.answer.curated import CuratedStore
from hlsguide.answer.questions import QuestionError, validate_question
from hlsguide.bootstrap.deps import (
    AnswersDep,
    FaqJobsDep,
    RetrievalDep,
    SettingsDep,
)
from hlsguide.faq.approval import approve
from hlsguide.faq.formats import MEDIA_TYPES, render
from hlsguide.faq.formats.safe_markdown import to_html
from hlsguide.faq.questions import FaqQuestion, parse_questions
from hlsguide.faq.results import DEFAULT_TITLE, ItemResult, answer_body
from hlsguide.storage.faq_reviews import recent_faq_jobs, record_review, reviews_of

router = APIRouter(prefix="/admin/faq")
MAX_QUESTION_FILE = 2_000_000
DECISIONS = {"approve": "approved", "reject": "rejected"}
JOB_CONCURRENCY = 2  # as POST /v1/faq/jobs by default: the answer core is CPU-bound


def _questions(text: str, name: str, max_tokens: int, limit: int) -> list[FaqQuestion]:
    """Parsed and validated questions; ValueError lists every problem, one a line."""
    if not text.strip():
        raise ValueError("Paste some questions or choose a file of them.")
    # Pasted text whose first line is a CSV header with a question column is read as CSV.
    header = text.strip().splitlines()[0].lower()
    if name == "pasted" and "question" in [c.strip() for c in header.split(",")]:
        name = "pasted.csv"
    questions = parse_questions(text, FilePath(name if "." in name else f"{name}.txt"))
    if len(questions) > limit:
        raise ValueError(f"{len(questions)} questions; the limit is {limit}.")
    problems = []
    for position, item in enumerate(questions, start=1):
        try:
            item.question = validate_question(item.question, max_tokens)
        except QuestionError as exc:
            problems.append(f"Question {position} ({item.id}): {exc}")
    if problems:
        raise ValueError("\n".join(problems))
    return questions


async def _faq_page(request: Request, status_code: int = 200, **context):
    jobs = await run_in_threadpool(recent_faq_jobs, store_of(request))
    return page(request, "faq.html", status_code, jobs=jobs, default_title=DEFAULT_TITLE, **context)


@router.get("", include_in_schema=False)
async def faq(request: Request, _: SignedInDep):
    """The form that starts a job, and the jobs so far."""
    return await _faq_page(request)


@router.post("", include_in_schema=False)
async def start_job(
    request: Request,
    _: FormDep,
    settings: SettingsDep,
    retrieval: RetrievalDep,
    jobs: FaqJobsDep,
    questions: Annotated[str, Form(max_length=500_000)] = "",
    file: UploadFile | None = None,
    title: Annotated[str, Form(max_length=200)] = DEFAULT_TITLE,
):
    """Validate every question, store the job and start it in the background."""
    text, name = questions, "pasted"
    if file is not None and file.filename:
        raw = await file.read(MAX_QUESTION_FILE + 1)
        try:
            if len(raw) > MAX_QUESTION_FILE:
                raise ValueError(f"The file is larger than {MAX_QUESTION_FILE} bytes.")
            text, name = raw.decode("utf-8-sig"), file.filename
        except UnicodeDecodeError:
            return await _faq_page(
                request, 422, error="The file is not UTF-8 text.", pasted=questions, title=title
            )
        except ValueError as exc:
            return await _faq_page(request, 413, error=str(exc), pasted=questions, title=title)
    try:
        items = _questions(text, name, settings.max_question_tokens, settings.faq_max_questions)
    except ValueError as exc:
        return await _faq_page(request, 422, error=str(exc), pasted=questions, title=title)
    if not retrieval.is_ready():
        return await _faq_page(
            request,
            503,
            error="The index is still being built; try again in a minute.",
            pasted=questions,
            title=title,
        )
    title = title.strip() or DEFAULT_TITLE
    job = await run_in_threadpool(jobs.submit, items, settings.answer_mode, JOB_CONCURRENCY, title)
    jobs.start(job.id)
    return RedirectResponse(f"/admin/faq/jobs/{job.id}", status_code=303, headers=HEADERS)


def _not_found(request: Request, job_id: str):
    message = f"There is no FAQ job with id {job_id}."
    return page(
        request, "error.html", 404, heading="Job not found", message=message, back="/admin/faq"
    )


def _answer_html(item: ItemResult, position: int) -> Markup:
    """The answer as safe HTML, its [n] markers linking to its sources on this page."""
    assert item.answer is not None
    numbers = {c.n for c in item.answer.citations}
    link = lambda n: f"i{position}-s{n}" if n in numbers else None  # noqa: E731
    return Markup(to_html(answer_body(item.answer), link, heading_offset=0))


@router.get("/jobs/{job_id}", include_in_schema=False)
async def job_page(
    request: Request,
    _: SignedInDep,
    jobs: FaqJobsDep,
    job_id: str,
    reviewed: str | None = None,
):
    """Progress while the job runs; then every answer, its sources and the review forms."""
    job = await jobs.status(job_id)
    if job is None:
        return _not_found(request, job_id)
    report = await run_in_threadpool(jobs.report, job)
    reviews = await run_in_threadpool(reviews_of, store_of(request), job.id)
    items = [
        {
            "item": item,
            "position": position,
            "html": _answer_html(item, position) if item.answer else None,
            "review": reviews.get(item.id),
        }
        for position, item in enumerate(report.items, start=1)
    ]
    return page(
        request,
        "faq_job.html",
        job=job,
        items=items,
        formats=list(MEDIA_TYPES),
        reviewed=reviews.get(reviewed) if reviewed else None,
    )


@router.get("/jobs/{job_id}/progress", include_in_schema=False)
async def job_progress(_: SignedInDep, jobs: FaqJobsDep, job_id: str):
    """Counts for the page's progress bar (polled by its script)."""
    job = await jobs.status(job_id)
    if job is None:
        return JSONResponse({"detail": "no such job"}, status_code=404, headers=HEADERS)
    body = {
        "status": job.status,
        "answered": job.answered,
        "failed": job.failed,
        "total": job.total,
        "error": job.error,
    }
    return JSONResponse(body, headers=HEADERS)


@router.get("/jobs/{job_id}/download", include_in_schema=False)
async def download(
    request: Request,
    _: SignedInDep,
    jobs: FaqJobsDep,
    job_id: str,
    fmt: Literal["md", "html", "json", "csv"] = Query("html", alias="format"),
):
    """The finished FAQ in one of the four formats."""
    job = await jobs.status(job_id)
    if job is None:
        return _not_found(request, job_id)
    if job.status != "done":
        message = f"The job is {job.status}; download it once it is done."
        return page(
            request,
            "error.html",
            409,
            heading="Not ready yet",
            message=message,
            back=f"/admin/faq/jobs/{job.id}",
        )
    report = await run_in_threadpool(jobs.report, job)
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="faq-{job.id}.{fmt}"'}
    if fmt == "html":
        # The page has no scripts and no external resources; say so to the browser.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(render(report, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)


@router.post("/jobs/{job_id}/items/{item_id}/review", include_in_schema=False)
async def review(
    request: Request,
    signed: FormDep,
    jobs: FaqJobsDep,
    answers: AnswersDep,
    settings: SettingsDep,
    job_id: str,
    item_id: str,
    decision: Annotated[Literal["approve", "reject"], Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
):
    """Approve (the answer becomes a curated answer, its sources re-verified) or reject."""
    job = await jobs.status(job_id)
    if job is None:
        return _not_found(request, job_id)
    report = await run_in_threadpool(jobs.report, job)
    item = next((i for i in report.items if i.id == item_id), None)
    back = f"/admin/faq/jobs/{job.id}"
    if item is None:
        return page(
            request,
            "error.html",
            404,
            heading="Answer not found",
            message=f"The job has no finished answer with id {item_id}.",
            back=back,
        )
    store = store_of(request)
    note_text = note.strip() or None
    curated_file = None
    if decision == "approve":
        curated = CuratedStore(settings.curated_dir)
        result = await run_in_threadpool(
            approve, [item], [item.id], answers.curated, curated, signed.name
        )
        if item.id not in result.written:
            return page(
                request,
                "error.html",
                409,
                heading="The answer was not approved",
                message=result.skipped.get(item.id, "it could not be verified"),
                back=back,
            )
        curated_file = result.written[item.id].name
    await run_in_threadpool(
        record_review,
        store,
        job.id,
        item.id,
        DECISIONS[decision],
        note_text,
        signed.name,
        curated_file,
    )
    return RedirectResponse(
        f"{back}?reviewed={quote(item.id)}#item-{report.items.index(item) + 1}",
        status_code=303,
        headers=HEADERS,
    )
