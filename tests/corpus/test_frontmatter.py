import pytest

from hlsguide.corpus.frontmatter import FrontMatterError, split_front_matter, validate_front_matter
from hlsguide.corpus.markup import (
    citation_keys,
    cross_links,
    display_text,
    plain_words,
    without_cross_references,
)

VALID = {
    "id": "learning-cycles",
    "title": "Learning cycles",
    "kind": "concept",
    "summary": "How teams learn.",
    "principles": ["learning"],
    "topics": ["learning-cycles"],
    "references": ["a-2019"],
}


def test_split_returns_body_offset():
    text = "---\nid: x\n---\n## Head\nBody"
    data, body, offset = split_front_matter(text)
    assert data == {"id": "x"}
    assert text[offset:] == body == "## Head\nBody"


def test_missing_front_matter_is_reported():
    with pytest.raises(FrontMatterError, match="no YAML front matter"):
        split_front_matter("# Just a heading\n")


def test_valid_front_matter_round_trips():
    meta = validate_front_matter(VALID, expected_id="learning-cycles", expected_kind="concept")
    assert meta.topics == ["learning-cycles"]
    assert meta.references == ["a-2019"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"topics": ["not-a-topic"]}, "not in the vocabulary"),
        ({"topics": []}, "1 to 6"),
        ({"kind": "essay"}, "kind 'essay'"),
        ({"principles": ["money"]}, "unknown principles"),
        ({"id": "Bad Id"}, "lower-case slug"),
        ({"title": ""}, "'title' is required"),
    ],
)
def test_contract_violations_are_named(change, message):
    with pytest.raises(FrontMatterError, match=message):
        validate_front_matter({**VALID, **change})


def test_id_must_equal_file_name_and_kind_its_folder():
    with pytest.raises(FrontMatterError, match="file name") as info:
        validate_front_matter(VALID, expected_id="other", expected_kind="practice")
    assert "does not match its folder" in str(info.value)


def test_case_fields_required():
    with pytest.raises(FrontMatterError, match="'place'"):
        validate_front_matter({**VALID, "kind": "case"})


def test_citations_and_links_are_parsed():
    text = "A fact [@a-2019; @b2020-x, p. 3]. See [[learning-cycles]] and [@a-2019]."
    assert citation_keys(text) == ["a-2019", "b2020-x"]
    assert cross_links(text) == ["learning-cycles"]
    assert plain_words(text) == ["a", "fact", "see", "learning", "cycles", "and"]


@pytest.mark.parametrize(
    ("raw", "spoken"),
    [
        (
            "It is a judgement; see [[cynefin]], [[types-of-complexity]] and [[triage]].",
            "It is a judgement.",
        ),
        ("Work needs cycles (see [[a-b]] and [[c]]) [@x].", "Work needs cycles."),
        ("It failed, see [[case-work-programme]] [@nao2015].", "It failed."),
        ("There are risks; see [[managing-risk]] for how others handle them.", "There are risks."),
        ("See [[data-for-learning]] and [[reporting]] for how this works.", ""),
        # A cross-link that carries the sentence's meaning stays, as words.
        ("The [[paradox-of-outcomes]] applies here.", "The paradox of outcomes applies here."),
    ],
)
def test_answers_drop_pointers_to_other_documents(raw, spoken):
    assert display_text(without_cross_references(raw)) == spoken
