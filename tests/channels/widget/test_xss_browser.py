"""The XSS corpus through the widget, in headless Chromium, by the real answer path.

A hostile corpus (20 plain Markdown documents whose titles, headings and sentences carry the
payloads) is indexed for real; a scripted chat model that copies whatever it is told into its
answer writes every payload into the answer text, in batches, and cites every passage, steering
each quote to a different payload sentence. The widget on the demo page asks the real server, so
payloads arrive as answer Markdown and as citation titles, headings and quotes; every source card
is opened. The page's CSP is bypassed: the widget's rendering alone must hold.

Asserted for the whole run: ``window.__xss`` (set by any payload script that runs) stays unset;
the shadow root only ever gains the widget's own kinds of element, none with an event handler
or a ``src``, and links only to http(s); no request leaves for the evil host (or anywhere but
the guide's own few URLs); and every payload was on screen, as text. A control at the end
inserts the same payloads into the page as HTML and sees dozens of them run."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.xss import EVIL_HOST, FLAG, PAYLOADS, batches, markers_in, vouching_bibliography

from hlsguide.answer.generators.llm import DATAMARK, LLMGenerator
from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.config import Settings
from hlsguide.retrieval.chunking import sentence_spans
from hlsguide.retrieval.service import RetrievalService

from .test_browser import WAIT_MS, ask, wait_for_answers

pytestmark = pytest.mark.slow

DOCUMENTS = 20  # one section each: every answer retrieves and cites all of them
BATCH = 17  # payloads per answer: 10 answers for the corpus
QUESTION = "How do partners use pooled budgets for local support?"
SENTENCE = "Pooled budgets let partners share money for local support {payload} together."
_PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)
# Elements the widget itself builds for answers, sources and cards; nothing else may appear.
WIDGET_ELEMENTS = {
    "article", "h3", "h4", "h5", "div", "p", "span", "ul", "ol", "li", "blockquote",
    "strong", "code", "a", "button",
}  # fmt: skip
EXPLICITLY_FORBIDDEN = {"img", "iframe", "script", "object", "svg", "embed", "style", "link"}
ALLOWED_PATHS = {"/", "/widget.js", "/demo.css", "/v1/ask/stream", "/favicon.ico"}

# Installed once the widget exists: records every element and attribute the shadow root gains.
WATCH_SHADOW_ROOT = """() => {
  const root = document.querySelector("hls-guide").shadowRoot;
  window.__added = [];
  const record = (el) => {
    if (el.nodeType !== 1) return;
    for (const node of [el, ...el.querySelectorAll("*")]) {
      window.__added.push({
        tag: node.localName,
        attrs: [...node.attributes].map((a) => [a.name, a.value]),
      });
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "childList") r.addedNodes.forEach(record);
      // An attribute set later on any element (the widget's own chrome included).
      else window.__added.push({ tag: null, attrs: [[r.attributeName,
        r.target.getAttribute(r.attributeName) || ""]] });
    }
  }).observe(root, { subtree: true, childList: true, attributes: true });
}"""
# Opens every source card of the last answer and reads it as the reader would.
READ_SOURCE_CARDS = """() => {
  const root = document.querySelector("hls-guide").shadowRoot;
  const turns = root.querySelectorAll(".turn");
  const cards = [];
  for (const button of turns[turns.length - 1].querySelectorAll(".source-link")) {
    button.click();
    cards.push({
      title: root.querySelector("#card-title").textContent,
      meta: root.querySelector(".card-meta").textContent,
      quote: root.querySelector(".card blockquote").textContent,
    });
  }
  return cards;
}"""
# Inserts every payload into the page as parsed HTML; returns the numbers of those that ran.
CONTROL = """async (payloads) => {
  const ran = new Set();
  Object.defineProperty(window, "__xss", { set: (n) => ran.add(n), configurable: true });
  for (const payload of payloads) {
    // Unlike innerHTML, a contextual fragment runs its <script> elements when inserted.
    document.body.append(document.createRange().createContextualFragment(payload));
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return [...ran];
}"""
SHADOW_LINKS = """() => [...document.querySelector("hls-guide").shadowRoot.querySelectorAll("a")]
  .map((a) => a.href)"""


def hostile_corpus(folder: Path) -> dict[str, list[str]]:
    """Writes the documents; returns the payload markers each one carries, by file stem."""
    folder.mkdir(parents=True)
    carried = {}
    for d in range(DOCUMENTS):
        mine = PAYLOADS[d::DOCUMENTS]
        # One sentence per payload: ingestion hygiene blanks a sentence, not the whole line.
        inline = " ".join(f"{p.one_line}." for p in mine)
        body = "\n".join(SENTENCE.format(payload=p.one_line) for p in mine)
        text = f"# Pooled budgets {d}: {inline}\n\n## Shared funds {d}: {inline}\n\n{body}\n"
        (folder / f"pooled-{d:02d}.md").write_text(text, encoding="utf-8")
        carried[f"pooled-{d:02d}"] = [p.marker for p in mine]
    return carried


class CopyingModel:
    """The responder of the scripted chat server: a model that writes what it is given into
    its answer. It cites every passage it was sent, each with a claim naming one payload
    sentence of that passage (the quote the answer core then picks), then adds the batch."""

    def __init__(self) -> None:
        self.batch = 0
        self.quoted: set[str] = set()
        self.seen: set[str] = set()  # markers in the passages it was shown

    def __call__(self, body: dict) -> str:
        prompt = body["messages"][-1]["content"]
        claims = []
        for n, text in _PASSAGE.findall(prompt):
            # Read as a model would: passages arrive datamarked (whitespace as DATAMARK).
            text = html.unescape(text).replace(DATAMARK, " ")
            found = list(dict.fromkeys(re.findall(r"xss\d{3}", text)))
            self.seen.update(found)
            chosen = found[self.batch % len(found)]
            self.quoted.add(chosen)
            # The claim repeats the words of the sentence it rests on, so that is its quote.
            sentence = next(text[a:b] for a, b in sentence_spans(text) if chosen in text[a:b])
            claims.append(" ".join(re.findall(r"[a-z0-9]+", sentence.lower())) + f" [{n}].")
        payloads = batches(BATCH)[self.batch]
        return "\n\n".join([" ".join(claims), *(p.text for p in payloads)])


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory, real_embedder):
    root = tmp_path_factory.mktemp("xss-corpus")
    carried = hostile_corpus(root / "hostile")
    settings = Settings(
        _env_file=None,
        data_dir=root / "data",
        corpus_paths=[root / "hostile"],
        curated_dir=root / "curated",
        chunk_tokens=1500,
        answer_passages=DOCUMENTS,
        # The passages are mostly payloads, so similarity to any question is low: refusal by
        # construction would keep them from the page, and it is the page under test here.
        min_confidence=0.0,
        scope_override_confidence=0.0,
    )
    retrieval = RetrievalService(settings, real_embedder)
    report = retrieval.build()
    assert not report.failed, report.failed
    chunks = [hit.chunk for hit in retrieval.searcher().search(QUESTION, DOCUMENTS)]
    assert len(chunks) == DOCUMENTS
    assert {c.document_id for c in chunks} == {f"doc-{name}" for name in carried}
    # Ingestion hygiene blanks some payload sentences (javascript:/data: links, remote images):
    # what it kept is what citations can carry.
    kept = set().union(*(markers_in(f"{c.title} {c.heading} {c.text}") for c in chunks))
    return retrieval, kept


def test_no_payload_survives_the_widget(browser, hostile_index, chat_server, live_server):
    from playwright.sync_api import expect

    retrieval, kept = hostile_index
    settings = retrieval.settings.model_copy(
        update={
            "answer_mode": "llm",
            "llm_base_url": chat_server.base_url,
            "llm_model": "scripted",
            "llm_timeout_seconds": 10.0,
            "llm_max_retries": 0,
            "llm_context_tokens": 200_000,
        }
    )
    model = CopyingModel()
    chat_server.responder = model
    # The references vouch for every payload URL, so the answer core's link filter lets them
    # all through: the widget's rendering is what this test is about.
    vouched = vouching_bibliography([p.text for p in PAYLOADS])
    answers = AnswerService(settings, retrieval, llm=LLMGenerator(settings), bibliography=vouched)
    groups = batches(BATCH)
    assert len(PAYLOADS) >= 100
    assert len(groups) == 10

    with live_server(create_app(settings, retrieval, answers)) as server:
        context = browser.new_context(bypass_csp=True)
        try:
            page = context.new_page()
            requests, dialogs, streams = [], [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("response", lambda r: "/v1/ask/stream" in r.url and streams.append(r))
            page.goto(server.url + "/")
            page.evaluate(WATCH_SHADOW_ROOT)
            page.get_by_role("button", name="Ask the HLS guide").click()

            shown, titles, headings, quotes = "", set(), set(), set()
            for number, group in enumerate(groups):
                model.batch = number
                ask(page, QUESTION)
                wait_for_answers(page, number + 1)
                turn = page.locator("hls-guide .turn").nth(number)
                expect(page.get_by_role("status")).to_have_text(
                    f"Answer ready, with {DOCUMENTS} sources.", timeout=WAIT_MS
                )
                answer_text = turn.locator(".answer").inner_text()
                # The batch reached the page through the model, as text.
                assert {p.marker for p in group} <= markers_in(answer_text), number
                shown += answer_text
                for card in page.evaluate(READ_SOURCE_CARDS):
                    titles |= markers_in(card["title"])
                    headings |= markers_in(card["meta"])
                    quotes |= markers_in(card["quote"])
            assert len(streams) == len(groups)
            assert '"mode": "llm"' in streams[-1].text()  # not the extractive fallback

            # Nothing ran.
            assert page.evaluate(f"window.{FLAG}") is None
            assert dialogs == []

            # Only the widget's own elements were ever added, without handlers or sources.
            added = page.evaluate("window.__added")
            tags = {a["tag"] for a in added if a["tag"]}
            assert not tags & EXPLICITLY_FORBIDDEN, tags
            assert tags <= WIDGET_ELEMENTS, tags - WIDGET_ELEMENTS
            for element in added:
                for name, value in element["attrs"]:
                    assert not name.startswith("on"), element
                    assert name not in {"src", "srcset", "srcdoc", "style", "formaction"}, element
                    if name == "href":
                        assert urlsplit(value).scheme in {"http", "https"}, element
            links = page.evaluate(SHADOW_LINKS)
            assert links
            assert all(urlsplit(u).scheme in {"http", "https"} for u in links)
            assert page.locator("img, iframe, object, embed, svg").count() == 0

            # No request for anything the payloads name; only the guide's own URLs.
            assert not [u for u in requests if EVIL_HOST in u]
            assert {urlsplit(u).netloc for u in requests} == {urlsplit(server.url).netloc}
            assert {urlsplit(u).path for u in requests} <= ALLOWED_PATHS

            # Every payload was shown in an answer; every one ingestion kept, in source titles,
            # headings and quotes too.
            assert markers_in(shown) == {p.marker for p in PAYLOADS}
            assert len(kept) >= 100
            assert titles == headings == kept
            # The answer-time screen blanks a few more payload sentences before the model sees
            # them. Quotes are what the model was shown; a quote is chosen by word overlap with
            # the claim, so for a few claims it is a neighbouring payload sentence: nearly every
            # payload shown reaches a source card as a quote.
            assert quotes <= model.seen <= kept
            assert len(model.seen) >= 100
            assert len(quotes) >= 0.95 * len(model.seen), sorted(model.seen - quotes)

            # The control: in this very browser, parsed as HTML, the corpus is live.
            # (37 of them run script there, without a click; more fetch from the evil host.)
            live = page.evaluate(CONTROL, [p.text for p in PAYLOADS])
            assert len(live) >= 30, live
            assert [u for u in requests if EVIL_HOST in u]
        finally:
            context.close()
