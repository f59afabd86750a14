from hlsguide.answer.citations import Draft, verify
from hlsguide.corpus.references import Bibliography
from hlsguide.types import Chunk, Hit


def hit(n: int, text: str, citations=()) -> Hit:
    chunk = Chunk(
        id=f"doc{n}#0",
        document_id=f"doc{n}",
        title=f"Doc {n}",
        kind="concept",
        text=text,
        source_path=f"corpus/concepts/doc{n}.md",
        heading_path=["Section"],
        start=10,
        end=10 + len(text),
        token_count=5,
        content_hash="x",
        citations=list(citations),
    )
    return Hit(chunk=chunk, score=1.0)


BIB = Bibliography(
    {"k1": {"id": "k1", "type": "report", "title": "A report", "issued": 2020, "DOI": "10.1/x"}}
)
PASSAGES = [
    hit(1, "Targets invite gaming. Staff game the clock [@k1].", ["k1"]),
    hit(2, "Alliances share one budget. Members meet weekly."),
]


def test_unresolvable_markers_are_removed_and_the_rest_renumbered():
    draft = Draft("Alliances pool money [2]. Gaming follows targets [1][7]. Made up [0].")
    markdown, citations, removed = verify(draft, PASSAGES, BIB)
    assert markdown == "Alliances pool money [1]. Gaming follows targets [2]. Made up."
    assert removed == 2
    assert [(c.n, c.document_id) for c in citations] == [(1, "doc2"), (2, "doc1")]


def test_quotes_are_exact_substrings_and_bad_quotes_are_replaced():
    draft = Draft("Staff game the clock [1].", quotes={1: "a quote the passage never had"})
    _, citations, _ = verify(draft, PASSAGES, BIB)
    assert citations[0].quote == "Staff game the clock"
    assert citations[0].quote in PASSAGES[0].chunk.text


def test_citations_carry_location_and_publications():
    _, citations, _ = verify(Draft("Gaming [1]."), PASSAGES, BIB)
    citation = citations[0]
    assert citation.location == "corpus/concepts/doc1.md (Section; characters 10-60)"
    assert citation.publications[0].url == "https://doi.org/10.1/x"
    assert citation.publications[0].formatted.startswith("(2020). A report.")


def test_no_markers_means_no_citations():
    markdown, citations, removed = verify(Draft("No support here."), PASSAGES, BIB)
    assert (markdown, citations, removed) == ("No support here.", [], 0)
