"""Reviewing drafts on a real index: findings, cited advice, and the annotated DOCX."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import docx
import pytest
from support.drafts import FLAGGED, draft_docx

from hlsguide.corpus.loaders import load_document
from hlsguide.review.formats import to_docx, to_html, to_markdown, write
from hlsguide.review.models import Review
from hlsguide.review.units import IndexedUnits, _liftable

EXAMPLE = Path(__file__).parents[2] / "examples" / "specification-riverside-homelessness.md"
QN = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def runs(document) -> list[list[tuple]]:
    """Each paragraph's runs with their formatting, leaving out the one run Word stores a
    comment's reference mark in (it holds no text)."""
    return [
        [
            (r.text, r.bold, r.italic, r.font.size, r.style.name)
            for r in p.runs
            if r._r.find(f"{QN}commentReference") is None
        ]
        for p in document.paragraphs
    ]


def test_example_is_reviewed_with_cited_advice(reviewer):
    document = load_document(EXAMPLE)
    review = reviewer.review(document)
    names = {m.name for f in review.findings for m in f.framings}
    assert names == {f.name for f in reviewer.lens.framings}  # the example shows every framing
    texts = {p for s in document.sections for p in [s.text]}
    for finding in review.findings:
        assert any(finding.quote in t for t in texts)  # an exact quote of the draft
        assert all(m.evidence for m in finding.framings)
        assert finding.citations
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", finding.why + finding.instead)}
        assert markers == {c.n for c in finding.citations}
        for citation in finding.citations:  # verified: the quote is in the cited chunk
            chunk = reviewer.retrieval.searcher()._by_id[citation.chunk_id]
            assert citation.quote in chunk.text
            assert citation.document_id in {
                d for f in reviewer.lens.framings for d in (*f.why, *f.instead)
            }
    assert [s.strengths[0].name for s in review.strengths] == ["learning_reviews"]
    assert len(review.top_changes) == 3
    assert sum(review.counts.values()) >= len(review.findings)


def test_docx_gets_one_anchored_comment_per_flagged_paragraph(reviewer, tmp_path):
    data = draft_docx()
    path = tmp_path / "draft.docx"
    path.write_bytes(data)
    document = reviewer.read(data, "draft.docx")
    review = reviewer.review(document)
    assert {f.quote for f in review.findings} == set(FLAGGED)

    out = tmp_path / "reviewed.docx"
    write(review, out, document, data)
    original, reviewed = docx.Document(io.BytesIO(data)), docx.Document(str(out))
    comments = {c.comment_id: c for c in reviewed.comments}
    assert len(comments) == len(review.findings)
    for paragraph in reviewed.paragraphs:
        starts = paragraph._p.findall(f"{QN}commentRangeStart")
        ends = paragraph._p.findall(f"{QN}commentRangeEnd")
        if paragraph.text in FLAGGED:
            assert len(starts) == len(ends) == 1  # anchored to this paragraph
            comment = comments[int(starts[0].get(f"{QN}id"))]
            assert "[1]" in comment.text
            assert "Sources:" in comment.text
            assert comment.author == "hlsguide"
        else:
            assert not starts
            assert not ends
    # The draft's own text and formatting are untouched; the table is still there.
    assert [p.text for p in reviewed.paragraphs] == [p.text for p in original.paragraphs]
    assert [p.style.name for p in reviewed.paragraphs] == [
        p.style.name for p in original.paragraphs
    ]
    assert runs(reviewed) == runs(original)
    assert reviewed.tables[0].cell(0, 0).text == "Schedule 2"


def test_markdown_html_json_and_a_docx_from_a_markdown_draft(reviewer, tmp_path):
    document = load_document(EXAMPLE)
    review = reviewer.review(document)
    markdown = to_markdown(review)
    assert "### The changes that matter most" in markdown
    assert markdown.count("### Paragraph ") == len(review.findings)
    page = to_html(review)
    assert "<script" not in page
    assert page.count("<section") == len(review.findings)
    out = tmp_path / "review.json"
    write(review, out, document, EXAMPLE.read_bytes())
    assert Review.model_validate(json.loads(out.read_text())) == review
    annotated = docx.Document(io.BytesIO(to_docx(review, document, EXAMPLE.read_bytes())))
    assert len(list(annotated.comments)) == len(review.findings)


def test_unknown_output_extension_is_refused(reviewer, tmp_path):
    document = load_document(EXAMPLE)
    review = reviewer.review(document)
    with pytest.raises(ValueError, match=r"\.docx, \.md, \.html, \.json"):
        write(review, tmp_path / "review.pdf", document, b"")


def test_advice_units_come_from_the_index_not_the_corpus_files(review_retrieval, monkeypatch):
    searcher = review_retrieval.searcher()
    documents = sorted(searcher.snapshot.documents)
    found = IndexedUnits(searcher).sentences(documents)
    assert found
    assert {s.kind for s in found} <= set(IndexedUnits.KINDS)
    for sentence in found:  # each sentence is quoted exactly from the chunk it cites
        assert sentence.quote in sentence.hit.chunk.text
        assert sentence.hit.chunk.document_id == sentence.document_id
    read_text = Path.read_text

    def no_corpus_files(path: Path, *args, **kwargs) -> str:
        if path.suffix == ".md":
            raise AssertionError(f"{path} read at review time")
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", no_corpus_files)
    assert IndexedUnits(searcher).sentences(documents) == found


@pytest.mark.parametrize(
    ("raw", "lifted"),
    [
        ("Ask providers each quarter what they learned and what they changed [@a].", True),
        ("This means providers learn each quarter what worked and for whom [@a].", False),
        ("The first of these asks providers each quarter what they learned [@a].", False),
        ("As above, ask providers each quarter what they learned and changed [@a].", False),
    ],
)
def test_advice_that_needs_the_sentence_before_it_is_never_lifted(raw, lifted):
    assert (_liftable(raw) is not None) is lifted
