"""All four output formats from one batch, and HTML that is accessible and safe."""

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest

from hlsguide.faq.checkpoint import Checkpoint
from hlsguide.faq.formats import render
from hlsguide.faq.formats.structured import CSV_COLUMNS
from hlsguide.faq.questions import FaqQuestion
from hlsguide.faq.results import BatchReport, ItemResult, answer_body
from hlsguide.faq.runner import run_batch
from hlsguide.types import Answer, Citation, Lens, Publication

from .conftest import FIXTURE_QUESTIONS


class Page(HTMLParser):
    """Collects what the checks need: tags, ids, internal links, headings, text by element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.headings: list[int] = []
        self.articles: list[dict] = []
        self.in_article = False

    def handle_endtag(self, tag):
        if tag == "article":
            self.in_article = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])
            if self.in_article and tag == "li":
                self.articles[-1]["sources"].add(attributes["id"])
        if tag == "a" and attributes.get("href", "").startswith("#"):
            self.links.append(attributes["href"][1:])
            if self.in_article and "marker" in attributes.get("class", ""):
                self.articles[-1]["markers"].add(attributes["href"][1:])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "article":
            self.in_article = True
            self.articles.append({"markers": set(), "sources": set()})


@pytest.fixture
async def report(fixture_answers, tmp_path) -> BatchReport:
    questions = [
        FaqQuestion(id="learn", question=FIXTURE_QUESTIONS[0], group="Learning"),
        FaqQuestion(id="review", question=FIXTURE_QUESTIONS[3], group="Learning"),
        FaqQuestion(id="targets", question=FIXTURE_QUESTIONS[1], group="Targets"),
        FaqQuestion(id="lasagne", question="What is the best lasagne recipe?", group="Targets"),
        FaqQuestion(id="broken", question="tab\x0bbed?"),
    ]
    with Checkpoint(tmp_path / "cp.jsonl", resume=False) as checkpoint:
        items = await run_batch(
            fixture_answers, questions, mode="extractive", concurrency=2, sink=checkpoint
        )
    return BatchReport(title="Riverside FAQ", mode="extractive", index_version="gen-x", items=items)


def test_the_batch_has_answers_a_refusal_and_a_failure(report):
    assert [i.status for i in report.items] == ["ok", "ok", "ok", "ok", "failed"]
    assert report.items[3].answer.refused
    assert report.bibliography(), "the fixture answers cite publications"


def test_json_holds_every_field_with_structured_citations(report):
    data = json.loads(render(report, "json"))
    assert BatchReport.model_validate(data) == report
    first = data["items"][0]
    assert set(first["answer"]) >= set(Answer.model_fields)
    citation = first["answer"]["citations"][0]
    assert set(citation) == set(Citation.model_fields)
    assert isinstance(citation["publications"], list)
    assert data["items"][4]["error"].startswith("QuestionError")


def test_csv_has_one_row_per_question(report):
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert [r["id"] for r in rows] == ["learn", "review", "targets", "lasagne", "broken"]
    assert list(rows[0]) == CSV_COLUMNS
    first = report.items[0].answer
    assert rows[0]["answer"] == answer_body(first)
    assert len(rows[0]["sources"].splitlines()) == len(first.citations)
    assert rows[0]["sources"].startswith(f"[1] {first.citations[0].title}")
    assert rows[3]["refused"] == "True"
    assert rows[4]["status"] == "failed"
    assert "control character" in rows[4]["error"]
    assert rows[4]["answer"] == ""


def test_markdown_has_contents_sources_and_bibliography(report):
    text = render(report, "md")
    assert text.startswith("# Riverside FAQ\n")
    headings = re.findall(r"^(#{2,3}) (.+)$", text, re.MULTILINE)
    assert ("##", "Learning") in headings
    assert ("###", FIXTURE_QUESTIONS[3]) in headings
    assert "#### In short" in text
    assert "#### Sources" in text
    # Every contents link names a heading's GitHub-style anchor.
    anchors = {
        re.sub(r"[^\w\- ]", "", title.lower()).strip().replace(" ", "-") for _, title in headings
    }
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in anchors, target
    bibliography = text.split("## Bibliography")[1]
    for n, publication in enumerate(report.bibliography(), start=1):
        assert f"{n}. {publication.formatted}" in bibliography
    assert "*Not answered: QuestionError" in text
    assert "*The guide does not answer this from its sources.*" in text


def test_html_is_a_standalone_accessible_page(report):
    html = render(report, "html")
    page = Page()
    page.feed(html)
    tags = [t for t, _ in page.tags]
    assert html.startswith("<!doctype html>")
    assert ("html", {"lang": "en-GB"}) in page.tags
    assert tags.count("h1") == 1
    assert "title" in tags
    assert {"nav", "main", "header", "footer"} <= set(tags)
    assert not {"script", "img", "iframe", "link"} & set(tags)  # nothing external, nothing run
    # Headings never skip a level going down (h1 > h2 > h3 > h4).
    for previous, current in zip(page.headings, page.headings[1:], strict=False):
        assert current <= previous + 1
    # Every internal link (contents, markers, bibliography) lands on an element.
    assert set(page.links) <= page.ids
    answered = [a for a in page.articles if a["sources"]]
    assert len(answered) == 3
    for article in answered:
        assert article["markers"]
        assert article["markers"] <= article["sources"]
    bibliography = html.split('<h2 id="bibliography">')[1]
    assert bibliography.count("<li id=") == len(report.bibliography())
    assert "Not answered: QuestionError" in html


def hostile_report() -> BatchReport:
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    citation = Citation(
        n=1,
        chunk_id="doc#0",
        document_id="doc",
        title=f"Title {payload}",
        kind="concept",
        heading="H",
        quote=f"quote {payload}",
        location="corpus/doc.md",
        publications=[
            Publication(id="evil", formatted=f"Evil {payload}", url="javascript:alert(3)"),
            Publication(id="good", formatted="Good (2020).", doi="10.1000/x y"),
        ],
    )
    answer = Answer(
        answer_id="a1",
        question=f"Q {payload}",
        standalone_query="Q",
        answer=f"### In short {payload}\n\nText {payload} [1] [7] **bold**.\n\n- item {payload} [1]"
        f"\n\n> quoted {payload}\n\n[link](javascript:alert(4))\n\n### Sources\n\n[1] x",
        citations=[citation],
        lens=Lens(principles={}),
        mode="extractive",
    )
    item = ItemResult(
        id='x" onmouseover="alert(5)',
        question=f"Q {payload}",
        group=f"G {payload}",
        mode="extractive",
        status="ok",
        answer=answer,
    )
    return BatchReport(title=f"T {payload}", mode="extractive", items=[item])


def test_html_escapes_everything_an_answer_or_question_carries():
    html = render(hostile_report(), "html")
    page = Page()
    page.feed(html)
    tags = {t for t, _ in page.tags}
    assert not {"script", "img"} & tags
    assert "onerror" not in {k for _, attributes in page.tags for k in attributes}
    assert "onmouseover" not in {k for _, attributes in page.tags for k in attributes}
    hrefs = [a.get("href", "") for t, a in page.tags if t == "a"]
    assert not [h for h in hrefs if not h.startswith(("#", "https://"))], hrefs
    assert "https://doi.org/10.1000/x%20y" in hrefs  # a DOI becomes an encoded https link
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The Markdown subset still renders: heading, bold, list, quote, a resolvable marker.
    assert "<strong>bold</strong>" in html
    assert "<blockquote>" in html
    assert "<ul><li>" in html
    assert '<a class="marker" href="#q1-s1">[1]</a>' in html
    assert "[7]" in html
    assert 'href="#q1-s7"' not in html


def test_csv_cells_cannot_become_formulas():
    report = hostile_report()
    report.items[0] = report.items[0].model_copy(update={"question": '=HYPERLINK("x")'})
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert rows[0]["question"] == '\'=HYPERLINK("x")'
