"""``/v1/faq/jobs`` end to end over ASGI: submit, poll, download in four formats; validation;
a job whose worker went silent is taken over, redoing nothing stored."""

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.faq.results import ItemResult
from hlsguide.retrieval.service import RetrievalService
from hlsguide.storage.api_keys import create_api_key
from hlsguide.storage.faq_jobs import (
    claim_faq_job,
    create_faq_job,
    faq_job,
    heartbeat_faq_job,
    record_faq_item,
)
from hlsguide.storage.models import FaqJob

from .conftest import FIXTURE_QUESTIONS, CountingAsker


@pytest.fixture
def app(fixture_answers):
    return create_app(fixture_answers.settings, fixture_answers.retrieval, fixture_answers)


@pytest.fixture
def admin(fixture_answers) -> dict:
    key, _ = create_api_key(fixture_answers.store, "curator", ["admin"])
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def http(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def wait_until_done(http, url: str, headers: dict) -> dict:
    for _ in range(1200):
        body = (await http.get(url, headers=headers)).json()
        if body["status"] in ("done", "failed"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"job still {body['status']}")


async def test_submit_poll_and_download(http, admin):
    questions = [FIXTURE_QUESTIONS[0], {"question": FIXTURE_QUESTIONS[1], "group": "Targets"}]
    response = await http.post(
        "/v1/faq/jobs",
        json={"questions": questions, "concurrency": 2, "title": "Riverside FAQ"},
        headers=admin,
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] in ("queued", "running")
    assert job["total"] == 2
    assert job["result_url"] is None
    assert response.headers["location"] == job["status_url"]

    done = await wait_until_done(http, job["status_url"], admin)
    assert (done["status"], done["answered"], done["failed"]) == ("done", 2, 0)
    assert done["result_url"].endswith(f"/v1/faq/jobs/{job['job_id']}/result")

    url = f"/v1/faq/jobs/{job['job_id']}/result"
    as_json = await http.get(url, headers=admin)
    assert as_json.headers["content-type"] == "application/json"
    report = as_json.json()
    assert report["title"] == "Riverside FAQ"
    assert [i["question"] for i in report["items"]] == FIXTURE_QUESTIONS[:2]
    assert [i["group"] for i in report["items"]] == [None, "Targets"]
    assert all(i["answer"]["citations"] for i in report["items"])

    page = await http.get(url, params={"format": "html"}, headers=admin)
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert '<html lang="en-GB">' in page.text
    assert "<h1>Riverside FAQ</h1>" in page.text
    table = await http.get(url, params={"format": "csv"}, headers=admin)
    assert table.headers["content-disposition"] == f'attachment; filename="faq-{job["job_id"]}.csv"'
    assert len(list(csv.DictReader(io.StringIO(table.text)))) == 2
    markdown = await http.get(url, params={"format": "md"}, headers=admin)
    assert markdown.text.startswith("# Riverside FAQ")


@pytest.mark.parametrize(
    ("payload", "loc", "message"),
    [
        ({"questions": []}, ["body", "questions"], "at least 1 item"),
        ({"questions": ["ok?"] * 4}, ["body", "questions"], "4 questions; the limit is 3"),
        ({"questions": ["ok?", " "]}, ["body", "questions", 1], "the question is empty"),
        (
            {"questions": ["ok?", {"question": "a\x00b"}]},
            ["body", "questions", 1, "question"],
            "binary data",
        ),
        (
            {"questions": [{"question": "a?", "id": "x"}, {"question": "b?", "id": "x"}]},
            ["body", "questions", 1, "id"],
            "the id 'x' is used twice",
        ),
        ({"questions": ["ok?"], "concurrency": 0}, ["body", "concurrency"], "greater than"),
        ({"questions": ["ok?"], "mode": "magic"}, ["body", "mode"], "'extractive' or 'llm'"),
    ],
)
async def test_bad_jobs_are_refused_precisely(fixture_answers, admin, payload, loc, message):
    settings = fixture_answers.settings.model_copy(update={"faq_max_questions": 3})
    app = create_app(settings, fixture_answers.retrieval, fixture_answers)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post("/v1/faq/jobs", json=payload, headers=admin)
    assert response.status_code == 422
    [error] = [e for e in response.json()["detail"] if e["loc"] == loc]
    assert message in error["msg"]


async def test_unknown_jobs_formats_and_keys(http, admin, fixture_answers):
    assert (await http.get("/v1/faq/jobs/nope", headers=admin)).status_code == 404
    missing = await http.get("/v1/faq/jobs/nope/result", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no FAQ job with id 'nope'"
    assert (await http.get("/v1/faq/jobs/" + "x" * 65, headers=admin)).status_code == 422

    job = create_faq_job(
        fixture_answers.store, "extractive", "T", 1, [{"id": "q1", "question": "a"}]
    )
    early = await http.get(f"/v1/faq/jobs/{job.id}/result", headers=admin)
    assert early.status_code == 409
    assert early.json()["detail"] == "the job is queued: 0 of 1 questions finished"
    pdf = await http.get(f"/v1/faq/jobs/{job.id}/result?format=pdf", headers=admin)
    assert pdf.status_code == 422

    anonymous = await http.post("/v1/faq/jobs", json={"questions": ["What is HLS?"]})
    assert anonymous.status_code == 401
    key, _ = create_api_key(fixture_answers.store, "reader", ["ask"])
    reader = await http.get(f"/v1/faq/jobs/{job.id}", headers={"Authorization": f"Bearer {key}"})
    assert reader.status_code == 403


async def test_no_index_yet_is_503(settings, embedder):
    answers = AnswerService(settings, RetrievalService(settings, embedder))
    key, _ = create_api_key(answers.store, "curator", ["admin"])
    app = create_app(settings, answers.retrieval, answers)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post(
            "/v1/faq/jobs",
            json={"questions": ["What is HLS?"]},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 503
    assert response.headers["retry-after"]


async def test_a_silent_workers_job_is_taken_over_without_redoing_stored_items(
    app, http, admin, fixture_answers
):
    store = fixture_answers.store
    questions = [{"id": f"q{n}", "question": q} for n, q in enumerate(FIXTURE_QUESTIONS)]
    job = create_faq_job(store, "extractive", "T", 2, questions)
    # Another worker claimed it, finished one question, then died (its heartbeat stopped).
    assert claim_faq_job(store, job.id, "dead-worker", datetime.now(UTC))
    finished = ItemResult(
        id="q0",
        question=FIXTURE_QUESTIONS[0],
        mode="extractive",
        status="ok",
        answer=fixture_answers.ask(FIXTURE_QUESTIONS[0]),
    )
    assert record_faq_item(store, job.id, "q0", "ok", finished.model_dump(mode="json"))
    with store.session() as session, session.begin():
        long_ago = datetime.now(UTC) - timedelta(hours=1)
        session.execute(update(FaqJob).where(FaqJob.id == job.id).values(heartbeat_at=long_ago))
    counting = CountingAsker(fixture_answers)
    app.state.services.faq_jobs.asker = counting

    status = await http.get(f"/v1/faq/jobs/{job.id}", headers=admin)
    assert status.json()["status"] == "running"
    done = await wait_until_done(http, f"/v1/faq/jobs/{job.id}", admin)
    assert (done["answered"], done["failed"]) == (4, 0)
    assert sorted(counting.asked) == sorted(FIXTURE_QUESTIONS[1:])
    assert faq_job(store, job.id).worker == app.state.services.faq_jobs.worker
    report = (await http.get(f"/v1/faq/jobs/{job.id}/result", headers=admin)).json()
    assert report["items"][0]["answer"]["answer_id"] == finished.answer.answer_id
    # The silent worker cannot report any more, nor close the job.
    assert not heartbeat_faq_job(store, job.id, "dead-worker")


async def test_a_jobs_answers_belong_to_the_key_that_submitted_it(http, fixture_answers):
    from hlsguide.storage.models import AnswerRecord, Conversation

    key, record = create_api_key(fixture_answers.store, "curator", ["admin"])
    headers = {"Authorization": f"Bearer {key}"}
    response = await http.post(
        "/v1/faq/jobs", json={"questions": FIXTURE_QUESTIONS[:1]}, headers=headers
    )
    job = response.json()
    await wait_until_done(http, job["status_url"], headers)
    stored = faq_job(fixture_answers.store, job["job_id"])
    assert stored is not None
    assert stored.owner == f"key:{record.id}"
    report = (await http.get(f"/v1/faq/jobs/{job['job_id']}/result", headers=headers)).json()
    answer_id = report["items"][0]["answer"]["answer_id"]
    with fixture_answers.store.session() as session:
        answer = session.get(AnswerRecord, answer_id)
        conversation = session.get(Conversation, answer.conversation_id)
    assert conversation.owner == f"key:{record.id}"  # found and erased with the key's data
