"""Contract v2: answer-ready units are parsed exactly, and each rule names what breaks it."""
# ruff: noqa: E501  (Markdown fixtures keep one unit per line, as the corpus does)

import shutil
from pathlib import Path

import pytest

from hlsguide.corpus.checks import check_corpus, check_units, main, unit_totals
from hlsguide.corpus.units import (
    announces,
    leans_back,
    opens_imperative,
    parse_units,
    prose_end,
    sentences,
)

PROJECT = Path(__file__).parents[2]

PROSE = "## Definition\n\nFailure demand is work a service makes for itself [@seddon-vanguard].\n\n"
KEY_POINTS = """## Key points

- Failure demand is work a service causes itself by not acting, or not acting right, the first time [@seddon-vanguard].
- Value demand is the first request for help that a service exists to meet, and it should be met well [@seddon-vanguard].
- Demand studies record each request in the words of the person asking, not the service's categories [@seddon-vanguard].
"""
QUESTIONS = """## Questions this answers

### How do we find out how much of our demand is failure demand?

Start by listening to contacts as they arrive and write each one down in the caller's own words [@seddon-vanguard]. Then sort every request into value demand or failure demand [@seddon-vanguard].

### Is failure demand only about call centres?

No: any service that people contact more than once for the same need can study it [@seddon-vanguard]. Gateshead treated council tax arrears as a signal of need [@gateshead-tangled].

### Who came up with the idea of failure demand?

John Seddon named failure demand in the Vanguard Method [@seddon-vanguard]. The Vanguard Method is a systems-thinking approach to service design [@seddon-vanguard].
"""
MISREADINGS = """## Common misreadings

### "Failure demand means staff are failing"

No: failure demand comes from how the service is designed, not from individual effort [@seddon-vanguard].

### "Cutting failure demand is a target like any other"

Not quite: Vanguard uses the measure for learning by the people doing the work [@seddon-vanguard].
"""
GOOD = PROSE + KEY_POINTS + QUESTIONS + MISREADINGS


def rules(body: str, kind: str = "concept") -> set[str]:
    return {p.rule for p in check_units("doc.md", kind, body)}


def test_a_sound_document_has_no_problem():
    assert check_units("doc.md", "concept", GOOD) == []


def test_units_are_parsed_with_exact_offsets():
    units = parse_units(GOOD, "concept")
    assert [u.kind for u in units] == ["key_point"] * 3 + ["question"] * 3 + ["misreading"] * 2
    for unit in units:
        assert GOOD[unit.start : unit.end] == unit.text
    assert units[3].prompt == "How do we find out how much of our demand is failure demand?"
    assert units[3].text.startswith("Start by listening")
    assert units[6].prompt == '"Failure demand means staff are failing"'
    assert GOOD[: prose_end(GOOD)] == PROSE


def test_sentences_keep_abbreviations_and_citations_together():
    text = "Hood named e.g. ratchets [@hood2006]. Smith et al. found it [@x]. Yes [@y]."
    assert sentences(text) == [
        "Hood named e.g. ratchets [@hood2006].",
        "Smith et al. found it [@x].",
        "Yes [@y].",
    ]


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("It then met monthly to review cases.", True),
        ("Trust-based funding puts the first of these into practice.", True),
        ("The council chose the latter after a year.", True),
        ("Use the template as above for each provider.", True),
        ("Plymouth's alliance went live in April 2019.", False),
        ("Equity can suffer from the blind spots of those who hold power.", False),
        ("Ask providers what each of them learned.", False),
        # An order whose object points back needs what it points to.
        ("Treat this as the coalition's own claim, not a review.", True),
        ("Use it when the issue is shaped by many organisations.", True),
        ("Keep them safe to fail and small enough to stop.", True),
        ("Use this checklist at the start of every redesign.", False),
        ("Make it clear to staff that they may try things.", False),
        # A pronoun subject after an opening phrase that names no one.
        ("Drawing on interviews with officials, he concluded that gaming was common.", True),
        ("Speaking as chief executive, she described stewardship as guardianship.", True),
        ("When providers are paid on results, they have reasons to game.", False),
        ("In 2019, Plymouth let its alliance contract.", False),
        # An opening phrase built on a bare demonstrative.
        ("From this, HLS writers argue that outcome targets produce gaming.", True),
        ("Beyond that, the early lessons are about sequence.", True),
        ("In this way the alliance shares risk.", True),
        ("From this guide, commissioners can take three steps.", False),
    ],
)
def test_a_sentence_leans_back_when_it_needs_the_one_before(sentence, leans):
    assert leans_back(sentence) is leans


@pytest.mark.parametrize(
    ("sentence", "only_announces"),
    [
        ("Complexity theory separates two kinds of difficulty.", True),
        ("Lowe turned the experience into research.", True),
        ("The behaviours are grouped in three sets.", True),
        # A cited claim, a figure, a lead-in and a full statement stand on their own.
        ("Targets invite gaming [@bevan-hood2006].", False),
        ("Gateshead phoned about 50 residents.", False),
        ("The behaviours fall into three sets:", False),
        (
            "Plymouth City Council brought some twenty-five contracts for substance misuse "
            "and homelessness into one alliance.",
            False,
        ),
    ],
)
def test_a_short_uncited_sentence_may_only_announce_what_follows(sentence, only_announces):
    assert announces(sentence) is only_announces


def test_missing_sections_are_named():
    assert rules(PROSE) == {"unit-section"}
    problems = check_units("doc.md", "concept", PROSE + KEY_POINTS + QUESTIONS)
    assert [p.detail for p in problems] == ["'## Common misreadings' is missing"]
    # Misreadings are required in concepts only, and not for cases.
    assert check_units("doc.md", "practice", PROSE + KEY_POINTS + QUESTIONS) == []
    assert "unit-section" in rules(GOOD, "case")


def test_sections_must_close_the_document_in_order():
    assert "unit-section" in rules(PROSE + QUESTIONS + KEY_POINTS + MISREADINGS)
    assert "unit-section" in rules(KEY_POINTS + PROSE + QUESTIONS + MISREADINGS)


def test_counts_are_bounded():
    two_points = KEY_POINTS.rsplit("\n- ", 1)[0] + "\n"
    assert "unit-count" in rules(PROSE + two_points + QUESTIONS + MISREADINGS)
    one_misreading = MISREADINGS.split('\n### "Cutting')[0]
    assert "unit-count" in rules(PROSE + KEY_POINTS + QUESTIONS + one_misreading)


@pytest.mark.parametrize(
    "opener", ["It", "This approach", "However, the", "Their", "So the", "Treat this as"]
)
def test_a_unit_opening_with_a_pronoun_or_connective_is_refused(opener):
    body = GOOD.replace("- Value demand is", f"- {opener} value demand is")
    problems = [p for p in check_units("doc.md", "concept", body) if p.rule == "unit-opener"]
    assert len(problems) == 1
    assert opener.split()[0].rstrip(",") in problems[0].detail


def test_every_sentence_of_a_unit_is_cited():
    body = GOOD.replace(
        "Then sort every request into value demand or failure demand [@seddon-vanguard].",
        "Then sort every request into value demand or failure demand.",
    )
    problems = [p for p in check_units("doc.md", "concept", body) if p.rule == "unit-citation"]
    assert len(problems) == 1
    assert "Then sort every request" in problems[0].detail


def test_word_and_sentence_bounds():
    short = GOOD.replace(
        "- Value demand is the first request for help that a service exists to meet, "
        "and it should be met well [@seddon-vanguard].",
        "- Value demand matters [@seddon-vanguard].",
    )
    assert "unit-length" in rules(short)
    long_answer = GOOD.replace(
        "Then sort every request", "Then sort " + "every single request " * 30
    )
    assert "unit-length" in rules(long_answer)
    one_sentence = GOOD.replace(
        " Then sort every request into value demand or failure demand [@seddon-vanguard].", ""
    )
    assert "unit-sentences" in rules(one_sentence)


def test_questions_end_with_a_question_mark_and_misreadings_are_quoted():
    assert "unit-question" in rules(GOOD.replace("only about call centres?", "only calls"))
    assert "unit-misreading" in rules(
        GOOD.replace('### "Failure demand means', "### Failure means")
    )


def test_a_correction_states_the_correction_first():
    body = GOOD.replace("No: failure demand comes", "Failure demand comes")
    assert "unit-opener" in rules(body)


def test_answer_ready_sections_are_bounded_in_total():
    extra = "".join(
        f"\n### Another question number {i} about failure demand?\n\n"
        + "Failure demand is studied at the front door of a service with care [@seddon-vanguard]. "
        * 3
        + "\n"
        for i in range(20)
    )
    assert "unit-length" in rules(
        GOOD.replace("## Common misreadings", extra + "\n## Common misreadings")
    )


@pytest.mark.parametrize(
    ("sentence", "directs"),
    [
        ("Put the person's own words at the top of the case record.", True),
        ("Look for the work a service makes for itself.", True),
        ("Put simply, you need to know what success looks like.", False),
        ("Put another way, the target became the work.", False),
        ("Say, for example, a family is referred three times.", False),
        ("Look, nobody designed the system this way.", False),
        ("Read alongside other HLS writing, each type points to a capability.", False),
        ("Read with a commissioner's eye, several points map onto familiar choices.", False),
        ("Read the contract with providers, then agree what to change.", True),
    ],
)
def test_a_discourse_marker_is_not_an_imperative(sentence, directs):
    assert opens_imperative(sentence) is directs


def test_practice_steps_open_with_an_imperative_verb_and_are_cited():
    steps = (
        "## Steps\n\n1. **Map the demand.** Record requests in the caller's words [@seddon-vanguard].\n"
        "2. Then sort them into value and failure demand [@seddon-vanguard].\n"
        "3. Agree the measures with the team.\n\n"
    )
    problems = check_units("doc.md", "practice", steps + KEY_POINTS + QUESTIONS)
    assert {(p.rule, p.detail.split(":")[0]) for p in problems} == {
        ("unit-opener", "step 'Then sort them into value and ...'"),
        ("unit-citation", "step 'Agree the measures with the team. ...'"),
    }
    # Steps are a practice's; elsewhere a numbered list is ordinary prose.
    assert check_units("doc.md", "concept", steps + GOOD) == []


def test_runs_shared_with_the_research_notes_are_flagged(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT / "corpus", corpus)
    target = corpus / "concepts" / "cynefin.md"
    copied = "the quick brown fox jumps over the lazy dog while the commissioners watch it"
    target.write_text(
        target.read_text() + f"\n\nAs a note put it, {copied} [@snowden-boone2007].\n"
    )
    research = tmp_path / "research"
    research.mkdir()
    (research / "notes.md").write_text(f"A note says {copied} closely.\n")
    problems = [p for p in check_corpus(corpus, research) if p.rule == "research-run"]
    assert {p.path.split("/")[-1] for p in problems} == {"cynefin.md"}
    assert not [p for p in check_corpus(corpus) if p.rule == "research-run"]


def test_totals_count_every_unit_kind(tmp_path, capsys):
    concepts = tmp_path / "concepts"
    concepts.mkdir()
    front = "---\nid: {id}\ntitle: T\nkind: concept\nsummary: S.\ntopics: [complexity]\n---\n"
    for doc_id in ("one", "two"):
        (concepts / f"{doc_id}.md").write_text(front.format(id=doc_id) + GOOD)
    assert unit_totals(tmp_path) == {
        "documents": 2,
        "key_point": 6,
        "question": 6,
        "misreading": 4,
        "step": 0,
    }
    main([str(tmp_path)])
    assert (
        "2 documents: 6 key points, 6 questions, 4 misreadings, 0 steps" in capsys.readouterr().out
    )
