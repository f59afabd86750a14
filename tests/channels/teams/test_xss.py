"""The XSS corpus through the Teams renderer: every payload, in the answer text and the
citation's title, heading, quote and publication, comes out of ``answer_card`` as a card with no
raw HTML, no image and no link but http(s) ones.

Card text is read by a stricter Markdown reader than Teams': CommonMark with raw HTML on and
link validation off, so anything shaped like HTML, an autolink, a reference link or an image
counts, whatever its scheme. Teams renders a subset of that, so a card that passes here cannot
carry markup Teams would act on."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt
from support.xss import PAYLOADS, Payload, hostile_answer

from hlsguide.channels.teams.cards import answer_card, card_message, summary_of

# Card properties whose strings Teams shows (TextBlock Markdown; the rest as plain text).
_TEXT_KEYS = {"text", "fallbackText", "title", "label", "placeholder"}
_MEDIA_TYPES = {"Image", "ImageSet", "Media"}
_URL_KEYS = {"url", "backgroundImage", "iconUrl", "poster", "selectAction"}


def strict_markdown() -> MarkdownIt:
    reader = MarkdownIt("commonmark", {"html": True})
    reader.validateLink = lambda url: True  # see every link, whatever its scheme
    return reader


READER = strict_markdown()


def markup_in(text: str) -> list[str]:
    """Raw HTML, images and non-http(s) links CommonMark finds in ``text``."""
    found = []
    stack = list(READER.parse(text))
    while stack:
        token = stack.pop()
        stack.extend(token.children or [])
        if token.type in {"html_inline", "html_block"}:
            found.append(f"raw HTML {token.content!r}")
        elif token.type == "image":
            found.append(f"image {token.attrGet('src')!r}")
        elif token.type == "link_open":
            href = str(token.attrGet("href"))
            parts = urlsplit(href)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                found.append(f"link to {href!r}")
    return found


def card_strings(card: dict) -> list[str]:
    """Every string of the card Teams shows, after checking it has no media and no
    non-http(s) URL property."""
    strings = []

    def walk(node):
        if isinstance(node, dict):
            assert node.get("type") not in _MEDIA_TYPES, node
            for key, value in node.items():
                if key in _URL_KEYS:
                    assert urlsplit(str(value)).scheme in {"http", "https"}, (key, value)
                if key in _TEXT_KEYS and isinstance(value, str):
                    strings.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return strings


def survivors(payload: Payload) -> list[str]:
    answer = hostile_answer(payload)
    card = answer_card(answer)
    strings = card_strings(card)
    shown = "\n".join(strings)
    # The payload's places reached the card: body (twice), source title and quote.
    assert shown.count(f"seen-{payload.marker}") >= 4, shown
    found = [problem for text in strings for problem in markup_in(text)]
    # The activity Teams receives: the card as an attachment, and a plain summary.
    activity = card_message(card, summary_of(answer))
    wire = activity.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert wire["attachments"][0]["content"] == json.loads(json.dumps(card))
    found += [f"summary: {problem}" for problem in markup_in(wire["summary"])]
    return found


def test_the_strict_reader_sees_what_teams_would_not_be_shown():
    """The oracle itself: it flags each kind of markup the renderer must remove."""
    assert markup_in("<b>x</b>")
    assert markup_in("![a](https://evil.example/p.png)")
    assert markup_in("[a](javascript:alert(1))")
    assert markup_in("<javascript:alert(1)>")
    assert markup_in("[a][r]\n\n[r]: data:text/html,x")
    assert markup_in("<!-- c -->")
    assert markup_in("[a](&#106;avascript:x)")
    assert not markup_in("[a](https://example.org/x) **bold** 1 < 2")


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: f"{p.marker}-{p.family}")
def test_no_payload_survives_teams_rendering(payload):
    assert survivors(payload) == []
