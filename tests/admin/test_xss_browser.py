"""The XSS corpus through the console in headless Chromium, with the pages' CSP bypassed so
that escaping alone must hold: every payload as an FAQ job's title, questions, groups, answers,
sources, publications and review notes (the review page); as logged questions, reader comments,
HLS principles (chart labels and tables) and framings (the insights page); as key names (the
keys page and the signed-in header).

Asserted on every page: ``window.__xss`` (set by any payload script that runs) stays unset; the
page holds no element a payload could bring (script but our own, img, iframe, object, embed,
style, link but our stylesheet...), no ``on*`` attribute, no link that is not http(s) or our
own; no request leaves for any other host; and every payload of the batch is on the page, as
text. A control inserts the same payloads as HTML into the page and sees them run."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, update
from support.browser import LiveServer
from support.xss import FLAG, PAYLOADS, batches, hostile_answer, markers_in, run_as_html

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.config import Settings
from hlsguide.faq.results import ItemResult
from hlsguide.retrieval.service import RetrievalService
from hlsguide.storage.admin_sessions import open_session
from hlsguide.storage.api_keys import create_api_key
from hlsguide.storage.faq_jobs import create_faq_job, record_faq_item
from hlsguide.storage.faq_reviews import record_review
from hlsguide.storage.models import AnswerRecord, FaqJob, Feedback

from .test_browser import CSP_PROBE

pytestmark = pytest.mark.slow

REVIEW_BATCH = 40  # answers per job page: the corpus in five jobs
INSIGHTS_BATCH = 10  # below every list's limit, so each payload is shown on the page
# What our own pages are made of; a payload that became markup would add something else.
OURS = """() => {
  const found = { scripts: [], links: [], handlers: [], hrefs: [], forbidden: [] };
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) found.handlers.push(`${el.localName} ${attr.name}`);
    }
    if (["img", "iframe", "object", "embed", "style", "video", "audio", "picture", "source",
         "frame", "frameset", "base", "meta[http-equiv]", "math", "template", "image",
         "foreignobject", "animate", "set"].includes(el.localName))
      found.forbidden.push(el.localName);
  }
  found.scripts = [...document.scripts].map((s) => s.getAttribute("src"));
  found.links = [...document.querySelectorAll("link")].map((l) => l.getAttribute("href"));
  found.hrefs = [...document.querySelectorAll("a[href], [*|href]:not(use)")]
    .map((a) => a.getAttribute("href") || a.getAttribute("xlink:href"));
  found.refresh = document.querySelectorAll("meta[http-equiv]").length;
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_console(tmp_path_factory, real_embedder):
    """A console with no index (none is needed to render these pages) and its own database."""
    root = tmp_path_factory.mktemp("xss-console")
    settings = Settings(
        _env_file=None,
        data_dir=root / "data",
        curated_dir=root / "curated",
        build_index_on_start=False,
        rate_limit_per_minute=10_000,
    )
    answers = AnswerService(settings, RetrievalService(settings, real_embedder))
    with LiveServer(create_app(settings, answers.retrieval, answers)) as server:
        yield server, answers.store


@pytest.fixture(scope="module")
def context(browser, hostile_console):
    server, store = hostile_console
    # The signed-in key's name is a payload too: it is in every page's header.
    name = PAYLOADS[0].one_line[:128]
    key_id = create_api_key(store, name, ["admin"])[1].id
    token = open_session(store, key_id, timedelta(hours=1))
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(CSP_PROBE)
    context.add_cookies([{"name": "hlsguide_admin", "value": token, "url": server.url + "/admin"}])
    yield context
    context.close()


def visit(context, url: str, batch) -> str:
    """Load a page, wait for anything a payload might start, check it; returns its text."""
    page = context.new_page()
    elsewhere = []
    page.route(
        re.compile(r"^(?!" + re.escape(url.split("/admin")[0]) + ")"),
        lambda route: (elsewhere.append(route.request.url), route.abort()),
    )
    try:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_timeout(300)  # onerror, onload, autofocus, animations
        assert page.evaluate(f"window.{FLAG}") is None, url
        found = page.evaluate(OURS)
        assert found["scripts"] == ["/admin/static/admin.js"], found["scripts"]
        assert found["links"] == ["/admin/static/admin.css"], found["links"]
        assert found["handlers"] == [], found["handlers"][:5]
        assert found["forbidden"] == [], found["forbidden"][:5]
        assert found["refresh"] == 0
        for href in found["hrefs"]:
            assert href.startswith(("/", "#", "https://", "http://")), href
            assert not href.startswith("//"), href
        assert elsewhere == [], elsewhere[:5]
        text = page.locator("body").inner_text()
        expected = {p.marker for p in batch}
        assert expected <= markers_in(text), sorted(expected - markers_in(text))
        return text
    finally:
        page.close()


def test_the_review_page_shows_every_payload_as_text(hostile_console, context):
    server, store = hostile_console
    for batch in batches(REVIEW_BATCH):
        title = batch[0].one_line
        job = create_faq_job(
            store, "llm", title, 1, [{"id": f"q{p.n:03d}", "question": p.text} for p in batch]
        )
        for payload in batch:
            answer = hostile_answer(payload)
            item = ItemResult(
                id=f"q{payload.n:03d}",
                question=answer.question,
                group=payload.one_line,
                mode="llm",
                status="ok",
                answer=answer,
            )
            record_faq_item(store, job.id, item.id, "ok", item.model_dump(mode="json"))
            if payload.n % 2:
                record_review(store, job.id, item.id, "rejected", payload.text, payload.one_line)
        with store.session() as session, session.begin():
            session.execute(update(FaqJob).where(FaqJob.id == job.id).values(status="done"))
        text = visit(context, f"{server.url}/admin/faq/jobs/{job.id}", batch)
        assert "seen-" in text
    # The jobs list carries the hostile titles too.
    visit(context, f"{server.url}/admin/faq", [b[0] for b in batches(REVIEW_BATCH)])


def test_the_insights_page_shows_every_payload_as_text(hostile_console, context):
    server, store = hostile_console
    for batch in batches(INSIGHTS_BATCH):
        with store.session() as session, session.begin():
            session.execute(delete(Feedback))
            session.execute(delete(AnswerRecord))
            for payload in batch:
                answer_id = f"a{payload.n:03d}"
                session.add(
                    AnswerRecord(
                        id=answer_id,
                        question=payload.text,
                        standalone_query=f"{payload.marker} {payload.one_line}",
                        answer=payload.text,
                        citations=[],
                        lens={
                            "touched_principles": [f"{payload.marker} {payload.one_line}"],
                            "flags": [{"label": f"{payload.marker} {payload.one_line}"}],
                        },
                        mode="llm",
                        channel="api",
                        confidence=0.1,
                        refused=payload.n % 2,
                    )
                )
                session.flush()
                session.add(Feedback(answer_id=answer_id, rating=-1, comment=payload.text))
        text = visit(context, f"{server.url}/admin/insights?period=all", batch)
        assert "Questions per day" in text


def test_the_keys_page_shows_every_payload_as_text(hostile_console, context):
    server, store = hostile_console
    for batch in batches(REVIEW_BATCH):
        for payload in batch:
            create_api_key(store, payload.one_line[:128], ["ask"])
        visit(context, f"{server.url}/admin/keys", [p for p in batch if len(p.one_line) <= 128])


def test_control_the_same_payloads_run_when_parsed_as_html(hostile_console, context):
    server, _ = hostile_console
    page = context.new_page()
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    try:
        page.goto(server.url + "/admin/keys")
        ran = run_as_html(page)
        assert len(ran) >= 20, ran
    finally:
        page.close()
