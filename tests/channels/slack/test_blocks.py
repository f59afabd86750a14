"""Block Kit rendering: real answers and oversized or hostile ones stay within Slack's limits,
keep their sources and feedback buttons, and cannot smuggle markup into Slack."""

from __future__ import annotations

import re

import pytest

from hlsguide.channels.slack.blocks import (
    FALLBACK_CHARS,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    MAX_BLOCKS,
    MAX_TEXT_CHARS,
    SECTION_CHARS,
    SHORTENED,
    answer_message,
    notice_message,
    split,
    text_chars,
)
from hlsguide.types import Citation, Publication

from .conftest import assert_within_slack_limits

QUESTIONS = [
    "How can we commission homelessness support without outcome targets?",
    "We need KPIs for our providers, what targets should we set?",
    "Is it legal to award a grant to an alliance without a tender?",
    "What is the capital of France?",
]
# Slack markup: <@U…>, <#C…>, <!here>, <https://…|label>. Only links we build may appear.
_MARKUP = re.compile(r"<([^<>]*)>")


def sections(message) -> list[str]:
    return [b["text"]["text"] for b in message.blocks if b["type"] == "section"]


def markup(message) -> list[str]:
    texts = [*sections(message), message.text]
    texts += [e["text"] for b in message.blocks if b["type"] == "context" for e in b["elements"]]
    return [m for t in texts for m in _MARKUP.findall(t)]


@pytest.fixture(scope="module")
def real_answers(answers):
    return [answers.ask(q, channel="test") for q in QUESTIONS]


def test_real_answers_render_within_limits_with_sources_and_feedback(real_answers):
    for answer in real_answers:
        message = answer_message(answer)
        assert_within_slack_limits(message.blocks)
        assert len(message.text) <= FALLBACK_CHARS
        text = "\n".join(sections(message))
        # Sources are listed in order until Slack's budget for them is spent; the rest are
        # counted in a closing note.
        listed = [
            c for c in answer.citations if f"*[{c.n}]* *{c.title}" in text.replace("&amp;", "&")
        ]
        assert listed == answer.citations[: len(listed)]
        rest = len(answer.citations) - len(listed)
        if rest:
            assert f"_…and {rest} more source{'s' if rest > 1 else ''}._" in text
        for citation in answer.citations:
            assert f"[{citation.n}]" in text.split("*Sources*")[0]  # marked in the answer
        for citation in listed:
            for publication in citation.publications[:2]:
                if publication.url:
                    assert f"<{publication.url.replace('&', '&amp;')}|" in text
        [actions] = [b for b in message.blocks if b["type"] == "actions"]
        assert {e["action_id"]: e["value"] for e in actions["elements"]} == {
            FEEDBACK_UP: answer.answer_id,
            FEEDBACK_DOWN: answer.answer_id,
        }
        assert all(m.startswith("http") for m in markup(message))
    refusal = answer_message(real_answers[-1])
    assert real_answers[-1].refused
    assert "*Sources*" not in "\n".join(sections(refusal))


def test_long_answer_is_split_then_shortened_with_a_note(real_answers):
    base = real_answers[0]
    paragraphs = []
    for i in range(80):
        paragraphs.append(f"### Part {i}")
        paragraphs.append(" ".join([f"Sentence {i} about learning and systems [1]."] * 25))
    paragraphs.append("x" * 10_000)  # one unbroken token, longer than any section
    long = base.model_copy(update={"answer": "\n\n".join(paragraphs)})

    message = answer_message(long, asked="q" * 5_000)

    assert_within_slack_limits(message.blocks)
    assert len(message.blocks) <= MAX_BLOCKS
    assert all(len(t) <= SECTION_CHARS for t in sections(message))
    assert text_chars(message.blocks) <= MAX_TEXT_CHARS
    contexts = [e["text"] for b in message.blocks if b["type"] == "context" for e in b["elements"]]
    assert SHORTENED in contexts
    assert any(t.startswith("*Sources*") for t in sections(message))  # sources kept
    assert message.blocks[-1]["type"] == "actions"  # feedback kept
    assert len(contexts[0]) < 600  # the question is shortened too


def test_many_sources_are_capped(real_answers):
    publication = Publication(id="p", formatted="A. Author (2020). " + "Title words. " * 40)
    citations = [
        Citation(
            n=n,
            chunk_id=f"c#{n}",
            document_id="d",
            title=f"Document {n}",
            kind="concept",
            heading="Heading",
            quote="q",
            location="l",
            publications=[publication, publication],
        )
        for n in range(1, 61)
    ]
    message = answer_message(real_answers[0].model_copy(update={"citations": citations}))
    assert_within_slack_limits(message.blocks)
    text = "\n".join(sections(message))
    assert "more sources._" in text
    assert "*[1]*" in text


def test_answer_text_cannot_mention_or_hide_links(real_answers):
    hostile = (
        "<!channel> <!here> <@U024BE7LH> <#C024BE7LR|general> <!subteam^S0123|@admins> "
        "click <https://evil.example/steal|your benefits portal> & **act now** [1]"
    )
    publications = [
        Publication(id="a", formatted="<!everyone> evil", url="javascript:alert(1)"),
        Publication(id="b", formatted="Pipe", url="https://example.org/a|<!channel>>x"),
    ]
    citation = (
        real_answers[0]
        .citations[0]
        .model_copy(
            update={"title": "<@U999> title", "heading": "<!here>", "publications": publications}
        )
    )
    answer = real_answers[0].model_copy(
        update={
            "answer": f"### <!channel> heading\n\n{hostile}",
            "citations": [citation],
            "fallback": "<!channel> model said",
        }
    )
    message = answer_message(answer, asked="<!channel> question")

    found = markup(message)
    # The only markup left is the one link we built, its target percent-encoded.
    assert found == ["https://example.org/a%7C%3C!channel%3E%3Ex|example.org"]
    text = "\n".join(sections(message))
    assert "&lt;!channel&gt;" in text
    assert "&lt;https://evil.example/steal|your benefits portal&gt;" in text
    assert "&amp; *act now*" in text
    assert "javascript" not in "".join(found)
    # verbatim: Slack adds no links or mentions of its own to bare URLs, #channels or @names.
    assert mrkdwn_objects(message)
    assert all(o.get("verbatim") is True for o in mrkdwn_objects(message))


def mrkdwn_objects(message) -> list[dict]:
    objects = [b["text"] for b in message.blocks if "text" in b]
    objects += [e for b in message.blocks for e in b.get("elements", []) if "type" in e]
    return [o for o in objects if o.get("type") == "mrkdwn"]


def test_notices_are_verbatim_too():
    objects = mrkdwn_objects(notice_message("see https://evil.example and #general"))
    assert objects
    assert all(o["verbatim"] is True for o in objects)


def test_split_never_breaks_an_entity_and_respects_the_limit():
    text = "&amp;" * 1_000 + " tail"
    pieces = split(text, 97)
    assert all(len(p) <= 97 for p in pieces)
    assert all(re.fullmatch(r"(&amp;)+", p) for p in pieces[:-1])
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_notice_is_escaped():
    message = notice_message("<!channel> is not a question & never pings")
    assert message.text == "&lt;!channel&gt; is not a question &amp; never pings"
    assert message.blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text": message.text, "verbatim": True}}
    ]
