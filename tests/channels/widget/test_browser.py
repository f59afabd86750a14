"""The widget in headless Chromium against real uvicorn servers backed by the real corpus index:
streaming, citation badges and source cards, keyboard and focus, hostile answers, axe-core,
reduced motion, cross-origin embedding (CORS) and framing (CSP frame-ancestors)."""

from __future__ import annotations

import json
import re
import threading

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from support.browser import AXE_OPTIONS
from support.servers import free_port
from support.xss import vouching_bibliography

from hlsguide.answer.generators.llm import LLMGenerator
from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.config import Settings
from hlsguide.corpus.references import Bibliography
from hlsguide.storage.conversations import history

pytestmark = pytest.mark.slow

QUESTION = "How can we commission without outcome targets?"
FOLLOW_UP = "And how do we report that to the board?"
WAIT_MS = 60_000
# Records CSP violations before any page script runs, so a blocked style or script shows up.
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""
FOCUSED = """() => {
  const active = document.querySelector("hls-guide").shadowRoot.activeElement;
  return active && {id: active.id, cls: active.className, n: active.dataset.n || null,
                    text: active.textContent};
}"""


class GatedAnswers(AnswerService):
    """The real answer service, holding its first stream after the first answer paragraph until
    the test releases it, so the page can be inspected mid-answer."""

    def __init__(self, answers: AnswerService) -> None:
        super().__init__(answers.settings, answers.retrieval, store=answers.store)
        self.paused = threading.Event()
        self.release = threading.Event()

    def stream(self, prepared, channel="api"):
        deltas = 0
        for event, data in super().stream(prepared, channel):
            yield event, data
            if event == "delta":
                deltas += 1
            if deltas == 2 and not self.release.is_set():
                self.paused.set()
                self.release.wait(timeout=WAIT_MS / 1000)


def sse_events(body: str) -> list[tuple[str, dict]]:
    events = []
    for frame in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def plain_quote(quote: str) -> str:
    """The quote as the card shows it: the corpus's Markdown marks dropped."""
    text = quote.replace("**", "")
    text = re.sub(r"\[\[([^\]]+)\]\]", lambda m: m.group(1).replace("-", " "), text)
    return re.sub(r"^\s*[-*+]\s+", "", text).strip()


def intranet_app(guide: str) -> FastAPI:
    """Another origin's page: embeds the widget with one script tag, or frames the demo page."""
    app = FastAPI()
    head = '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Intranet</title>'

    @app.get("/")
    def embed() -> HTMLResponse:
        return HTMLResponse(
            f'{head}<script src="{guide}/widget.js" defer></script></head>'
            "<body><main><h1>Intranet</h1><hls-guide open></hls-guide></main></body></html>"
        )

    @app.get("/framed")
    def framed() -> HTMLResponse:
        return HTMLResponse(
            f'{head}</head><body><main><h1>Intranet</h1><iframe title="guide" src="{guide}/">'
            "</iframe></main></body></html>"
        )

    return app


@pytest.fixture(scope="module")
def guide(answers, intranets, live_server):
    """The hlsguide server on the real corpus, allowing (CORS and framing) the first intranet."""
    allowed, _ = intranets
    settings = answers.settings.model_copy(
        update={"cors_origins": [allowed], "frame_ancestors": [allowed]}
    )
    with live_server(create_app(settings, answers.retrieval, answers)) as server:
        yield server


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.add_init_script(CSP_PROBE)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def expect_no_csp_violation(page) -> None:
    assert page.evaluate("window.__cspViolations") == []


def ask(page, question: str) -> None:
    field = page.get_by_label("Your question")
    field.fill(question)
    field.press("Enter")


def wait_for_answers(page, count: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator("hls-guide .turn:not(.streaming)")).to_have_count(count, timeout=WAIT_MS)


def test_demo_page_streams_a_cited_answer_with_source_cards(answers, context, live_server):
    from playwright.sync_api import expect

    gated = GatedAnswers(answers)
    with live_server(create_app(answers.settings, answers.retrieval, gated)) as server:
        page = context.new_page()
        requests, responses = [], []
        page.on("request", lambda r: "/v1/ask/stream" in r.url and requests.append(r))
        page.on("response", lambda r: "/v1/ask/stream" in r.url and responses.append(r))
        page.goto(server.url + "/")

        # Keyboard only: the launcher opens the panel and focus lands in the question field.
        launcher = page.get_by_role("button", name="Ask the HLS guide")
        expect(launcher).to_have_attribute("aria-expanded", "false")
        launcher.focus()
        page.keyboard.press("Enter")
        expect(launcher).to_have_attribute("aria-expanded", "true")
        assert page.evaluate(FOCUSED)["id"] == "question"
        page.keyboard.type(QUESTION)
        page.keyboard.press("Enter")

        # Mid-stream: the first paragraph is on screen, in the polite live region, with its
        # badges, while the server still holds the rest of the answer.
        assert gated.paused.wait(WAIT_MS / 1000)
        log = page.locator("hls-guide .log")
        expect(log).to_have_attribute("aria-live", "polite")
        turn = log.locator(".turn").first
        expect(turn.locator(".answer p").first).to_be_visible(timeout=WAIT_MS)
        expect(turn).to_have_class(re.compile(r"\bstreaming\b"))
        early_blocks = turn.locator(".answer > *").count()
        assert turn.locator(".answer h4").first.inner_text() == "In short"
        assert turn.locator(".answer .badge").count() >= 1
        expect(turn.locator(".sources")).to_be_hidden()
        gated.release.set()

        wait_for_answers(page, 1)
        status = page.get_by_role("status")
        expect(status).to_have_text(re.compile(r"^Answer ready, with \d+ sources?\.$"))
        assert turn.locator(".answer > *").count() > early_blocks
        events = sse_events(responses[0].text())
        citations = {data["n"]: data for event, data in events if event == "citation"}
        done = next(data for event, data in events if event == "done")
        assert citations
        assert "Sources" not in turn.locator(".answer").inner_text()  # listed below instead
        listed = turn.locator(".sources li")
        expect(listed).to_have_count(len(citations))
        badges = turn.locator(".answer .badge")
        for i in range(badges.count()):
            n = int(badges.nth(i).get_attribute("data-n"))
            expected = f"Source {n}: {citations[n]['title']}"
            expect(badges.nth(i)).to_have_attribute("aria-label", expected)

        # A badge opens its source card by keyboard; focus moves into the card; Escape closes
        # it and focus returns to the badge.
        badges.first.focus()
        page.keyboard.press("Enter")
        card = page.get_by_role("dialog")
        expect(card).to_be_visible()
        first = citations[int(badges.first.get_attribute("data-n"))]
        expect(card.locator("h3")).to_have_text(first["title"])
        expect(card.locator("blockquote")).to_have_text(plain_quote(first["quote"]))
        for publication in first["publications"]:
            expect(card).to_contain_text(publication["formatted"])
            if publication["url"]:
                link = card.locator(f'a[href="{publication["url"]}"]')
                expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
        assert page.evaluate(FOCUSED)["id"] == "card-title"
        page.keyboard.press("Escape")
        expect(card).to_be_hidden()
        assert page.evaluate(FOCUSED)["n"] == badges.first.get_attribute("data-n")
        expect(launcher).to_have_attribute("aria-expanded", "true")  # Escape closed only the card

        # The source list opens the same cards; the Close button returns focus too.
        listed.last.get_by_role("button").click()
        expect(card.locator("h3")).to_have_text(citations[max(citations)]["title"])
        card.get_by_role("button", name="Close source").click()
        expect(card).to_be_hidden()
        assert page.evaluate(FOCUSED)["cls"] == "source-link"

        # A follow-up carries the conversation id of the first answer, and the secret that
        # makes the anonymous caller its owner.
        ask(page, FOLLOW_UP)
        wait_for_answers(page, 2)
        assert requests[0].post_data_json == {"question": QUESTION}
        assert requests[1].post_data_json == {
            "question": FOLLOW_UP,
            "conversation_id": done["conversation_id"],
            "conversation_secret": done["conversation_secret"],
        }
        turns = history(answers.store, done["conversation_id"])
        assert [earlier.question for earlier in turns] == [QUESTION, FOLLOW_UP]

        # Escape from the question field closes the panel and returns focus to the launcher.
        page.get_by_label("Your question").focus()
        page.keyboard.press("Escape")
        expect(launcher).to_have_attribute("aria-expanded", "false")
        expect(page.locator("hls-guide #panel")).to_be_hidden()
        assert page.evaluate(FOCUSED)["text"] == "Ask the HLS guide"
        expect_no_csp_violation(page)


HOSTILE = (
    'Funders can trust grantees <script>window.__hlsPwned = "script"</script> [1]. '
    '<img src="/pixel.png" onerror="window.__hlsPwned = \'img\'"> '
    "![tracker]({tracker}) "
    "[click me](javascript:window.__hlsPwned='link') "
    "<a href=\"javascript:window.__hlsPwned='anchor'\">anchor</a> "
    "[GOV.UK](https://www.gov.uk/)"
)


def test_hostile_answer_text_is_rendered_inert(
    browser, corpus_service, chat_server, tmp_path, live_server
):
    """A model answer carrying script, an onerror image, a tracking image and javascript: links
    reaches the real widget through the real LLM path. The page runs with its CSP bypassed,
    so only the widget's own rendering stands between the payload and the page."""
    from playwright.sync_api import expect

    settings = corpus_service.settings.model_copy(
        update={
            "answer_mode": "llm",
            "llm_base_url": chat_server.base_url,
            "llm_model": "scripted",
            "llm_timeout_seconds": 10.0,
            "llm_max_retries": 0,
            "data_dir": tmp_path,
            "database_url": None,
        }
    )
    port = free_port()
    payload = HOSTILE.format(tracker=f"http://127.0.0.1:{port}/tracker.png")
    # The references vouch for the payload's links, so the answer core's link filter lets them
    # through: only the widget's rendering stands in their way.
    vouched = vouching_bibliography([payload], Bibliography.load(settings.corpus_paths))
    hostile = AnswerService(
        settings, corpus_service, llm=LLMGenerator(settings), bibliography=vouched
    )
    with live_server(create_app(settings, corpus_service, hostile), port) as server:
        chat_server.replies.append({"content": payload})
        context = browser.new_context(bypass_csp=True)
        try:
            page = context.new_page()
            fetched = []
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(server.url + "/")
            page.get_by_role("button", name="Ask the HLS guide").click()
            ask(page, "What is trust-based funding?")
            wait_for_answers(page, 1)

            answer = page.locator("hls-guide .answer")
            expect(answer).to_contain_text("Funders can trust grantees")  # the LLM text arrived
            expect(answer).to_contain_text('<script>window.__hlsPwned = "script"</script>')
            expect(answer).to_contain_text("<img src=")  # shown as text, not parsed
            expect(answer).to_contain_text("[image not shown: tracker]")
            assert page.evaluate("window.__hlsPwned") is None
            assert page.locator("img").count() == 0  # in the page and in the shadow root
            assert page.locator("hls-guide script").count() == 0
            hrefs = answer.locator("a").evaluate_all("links => links.map(a => a.href)")
            assert hrefs == ["https://www.gov.uk/"]
            expect(answer.get_by_text("click me")).to_have_count(1)
            assert not [u for u in fetched if u.endswith(("/tracker.png", "/pixel.png"))]
            assert page.get_by_role("button", name=re.compile(r"^Source 1: ")).count() == 1

            # The control: in this very page the payload is live when parsed as HTML.
            page.evaluate(
                "html => { const d = document.createElement('div'); d.innerHTML = html;"
                " document.body.append(d); }",
                payload,
            )
            page.wait_for_function("window.__hlsPwned === 'img'", timeout=WAIT_MS)
        finally:
            context.close()


def test_axe_finds_no_serious_violation_with_an_answer_and_a_source_open(guide, page):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(guide.url + "/")
    page.get_by_role("button", name="Ask the HLS guide").click()
    ask(page, QUESTION)
    wait_for_answers(page, 1)
    axe = Axe()
    for state in ("answer shown", "source card open"):
        if state == "source card open":
            page.locator("hls-guide .answer .badge").first.click()
            page.get_by_role("dialog").wait_for()
        # Let the opening animation end, so contrast is measured on the final colours.
        page.evaluate(
            "Promise.all(document.querySelector('hls-guide').shadowRoot"
            ".getAnimations().map(a => a.finished))"
        )
        results = axe.run(page, options=AXE_OPTIONS)
        response = results.response
        # axe looked inside the shadow root: a target there is a path from the host element.
        passed = [n["target"][0] for rule in response["passes"] for n in rule["nodes"]]
        assert any(isinstance(t, list) and t[0] == "hls-guide" for t in passed)
        assert {"color-contrast", "target-size", "aria-allowed-attr"} <= {
            rule["id"] for rule in response["passes"]
        }
        # Contrast inside the widget was measured, not left for manual review.
        unsure = [
            n for r in response["incomplete"] if r["id"] == "color-contrast" for n in r["nodes"]
        ]
        assert not [n["target"] for n in unsure if "hls-guide" in str(n["target"])], state
        serious = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
            for v in response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert serious == [], f"{state}: {serious}"
    expect_no_csp_violation(page)


def test_bad_input_is_explained_in_the_widget(guide, page):
    from playwright.sync_api import expect

    page.goto(guide.url + "/")
    page.get_by_role("button", name="Ask the HLS guide").click()
    field = page.get_by_label("Your question")
    field.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Type a question first.")
    expect(field).to_have_attribute("aria-invalid", "true")
    ask(page, "word " * 350)
    wait_for_answers(page, 1)
    error = page.locator("hls-guide .answer .error")
    expect(error).to_have_text(
        re.compile(r"^The guide could not take that question: .*the limit is 300\.$")
    )
    expect(page.get_by_role("status")).to_have_text(error.inner_text())


@pytest.mark.parametrize(("motion", "animation"), [("reduce", "none"), ("no-preference", "hg")])
def test_reduced_motion_turns_animation_off(browser, guide, motion, animation):
    context = browser.new_context(reduced_motion=motion)
    try:
        page = context.new_page()
        page.goto(guide.url + "/")
        page.get_by_role("button", name="Ask the HLS guide").click()
        panel = page.locator("hls-guide #panel")
        name = panel.evaluate("el => getComputedStyle(el).animationName")
        assert name.startswith(animation)
    finally:
        context.close()


def test_an_allowed_intranet_embeds_the_widget_cross_origin(guide, intranets, page, live_server):
    """One script tag on another origin: the widget calls the server it was loaded from, and
    the browser lets it because that origin is in HLSGUIDE_CORS_ORIGINS."""
    from playwright.sync_api import expect

    allowed, _ = intranets
    calls = []
    page.on("request", lambda r: "/v1/ask/stream" in r.url and calls.append(r.url))
    with live_server(intranet_app(guide.url), port=int(allowed.rsplit(":", 1)[1])):
        page.goto(allowed + "/")
        expect(page.get_by_label("Your question")).to_be_visible()  # `open` attribute
        ask(page, QUESTION)
        wait_for_answers(page, 1)
        expect(page.get_by_role("status")).to_have_text(re.compile("^Answer ready"))
        assert page.locator("hls-guide .answer .badge").count() >= 1
        assert calls == [f"{guide.url}/v1/ask/stream"]


def test_an_unlisted_origin_is_refused_by_the_browser(guide, intranets, page, live_server):
    from playwright.sync_api import expect

    _, other = intranets
    with live_server(intranet_app(guide.url), port=int(other.rsplit(":", 1)[1])):
        page.goto(other + "/")
        ask(page, QUESTION)
        wait_for_answers(page, 1)
        expect(page.locator("hls-guide .answer .error")).to_have_text(
            "The guide could not be reached. Check your connection and try again."
        )
        assert page.locator("hls-guide .answer .badge").count() == 0


@pytest.mark.parametrize(("which", "framed"), [(0, True), (1, False)])
def test_framing_follows_frame_ancestors(guide, intranets, page, live_server, which, framed):
    origin = intranets[which]
    with live_server(intranet_app(guide.url), port=int(origin.rsplit(":", 1)[1])):
        page.goto(origin + "/framed")
        page.wait_for_load_state("load")
        frame = next(f for f in page.frames if f != page.main_frame)
        assert (frame.url == guide.url + "/") is framed
        assert (frame.locator("hls-guide").count() == 1) is framed


MARKDOWN = """> Instructions addressed to the assistant were ignored.

### In short

**Outcomes** still matter [1]: café – naïve `code` and https://example.org/page.

3. third [2]
4. fourth
   continued

- bullet one
- bullet two

### Sources

[1] Title one
[2] Title two"""


def awkward_stream_app(settings) -> FastAPI:
    """The real widget and demo page, with a /v1/ask/stream that sends well-formed events in
    awkward pieces: CRLF line endings, a comment line, and 7-byte chunks that split frames,
    lines and UTF-8 characters."""
    import asyncio

    from fastapi.responses import StreamingResponse

    from hlsguide.channels.widget import mount_widget

    app = FastAPI()
    mount_widget(app, settings)
    citation = {"heading": "", "kind": "concept", "quote": "q", "publications": []}
    events = [("lens", {})]
    events += [("delta", {"text": part + "\n\n"}) for part in MARKDOWN.split("\n\n")]
    events += [("citation", {"n": n, "title": f"Title {n}", **citation}) for n in (1, 2)]
    events += [("done", {"conversation_id": "c1", "refused": False, "citations": []})]
    body = ": keep-alive\r\n\r\n" + "".join(
        f"event: {name}\r\ndata: {json.dumps(data, ensure_ascii=False)}\r\n\r\n"
        for name, data in events
    )
    raw = body.encode()

    @app.post("/v1/ask/stream")
    async def stream() -> StreamingResponse:
        async def pieces():
            for start in range(0, len(raw), 7):
                yield raw[start : start + 7]
                await asyncio.sleep(0.002)

        return StreamingResponse(pieces(), media_type="text/event-stream")

    return app


def test_markdown_subset_survives_an_awkwardly_chunked_stream(page, live_server, tmp_path):
    from playwright.sync_api import expect

    settings = Settings(_env_file=None, data_dir=tmp_path)  # no index: the stream is scripted
    with live_server(awkward_stream_app(settings)) as server:
        page.goto(server.url + "/")
        page.get_by_role("button", name="Ask the HLS guide").click()
        ask(page, "Anything?")
        wait_for_answers(page, 1)
        answer = page.locator("hls-guide .answer")
        expect(answer.locator("blockquote")).to_have_text(
            "Instructions addressed to the assistant were ignored."
        )
        expect(answer.locator("h4")).to_have_text(["In short"])  # "Sources" is not rendered
        paragraph = answer.locator("p").nth(1)
        expect(paragraph.locator("strong")).to_have_text("Outcomes")
        expect(paragraph).to_contain_text("café – naïve")
        expect(paragraph.locator("code")).to_have_text("code")
        expect(paragraph.locator("a")).to_have_attribute("href", "https://example.org/page")
        expect(answer.locator("ol")).to_have_attribute("start", "3")
        expect(answer.locator("ol > li")).to_have_text(["third 2", "fourth continued"])
        expect(answer.locator("ul > li")).to_have_text(["bullet one", "bullet two"])
        expect(answer).not_to_contain_text("Title one")
        expect(answer.locator(".badge")).to_have_count(2)
        expect(page.locator("hls-guide .sources li")).to_have_text(["1. Title 1", "2. Title 2"])
        expect(page.get_by_role("status")).to_have_text("Answer ready, with 2 sources.")
        expect_no_csp_violation(page)


def test_a_closed_ask_route_is_explained(answers, page, live_server):
    settings = answers.settings.model_copy(update={"ask_open": False})
    with live_server(create_app(settings, answers.retrieval, answers)) as server:
        page.goto(server.url + "/")
        page.get_by_role("button", name="Ask the HLS guide").click()
        ask(page, QUESTION)
        wait_for_answers(page, 1)
        error = page.locator("hls-guide .answer .error")
        assert error.inner_text() == (
            "This page is not allowed to ask the guide. Please tell its owner."
        )
