"""An answer as an Adaptive Card for Teams: the answer, numbered sources with their
publications, and feedback actions, within Teams' size limits.

Teams refuses a message over its size limit (documented as 40 KB, and by some as 28 KB for
cards, measured on the UTF-16 payload; 413 ``MessageSizeTooBig``). We keep the card within
``CARD_MAX_BYTES`` of UTF-16 JSON so the whole activity stays under ``ACTIVITY_MAX_BYTES``:
a longer answer loses its last paragraphs (and the sources only they cite) and says so.
Schema 1.4, the highest Teams mobile renders with ``Action.Execute``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import CardFactory, MessageFactory

from hlsguide.answer.service import MAX_PUBLICATIONS_LISTED
from hlsguide.channels.teams.markdown import (
    Block,
    answer_blocks,
    link,
    plain_quote,
    safe_text,
    shorten,
)
from hlsguide.types import Answer, Citation

CARD_MAX_BYTES = 25_000
ACTIVITY_MAX_BYTES = 38_000
CARD_VERSION = "1.4"
FEEDBACK_VERB = "feedback"
COMMENT_INPUT = "comment"
COMMENT_MAX_CHARS = 500
QUOTE_CHARS = 240
SUMMARY_CHARS = 200
SHORTENED_NOTE = (
    "_This answer was shortened to fit in Teams. Ask about one part of it to read more._"
)
TOO_LONG = "This answer is too long to show in Teams. Please ask a narrower question."
FALLBACK_NOTE = (
    "_The language model could not be used for this answer, so it is composed from the "
    "sources' own sentences._"
)


def card_bytes(payload: Any) -> int:
    """Size of ``payload`` as Teams measures a message: its JSON in UTF-16."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-16-le"))


def answer_card(answer: Answer, max_bytes: int = CARD_MAX_BYTES) -> dict:
    """The card for ``answer``, no larger than ``max_bytes`` (UTF-16 JSON)."""
    blocks = answer_blocks(answer.answer)
    for keep in range(len(blocks), 0, -1):
        kept = _without_trailing_headings(blocks[:keep])
        if not kept:
            continue
        card = _card(answer, kept, shortened=keep < len(blocks))
        if card_bytes(card) <= max_bytes:
            return card
    # Even the first paragraph does not fit: cut it down, sources without their quotes.
    first = next((b for b in blocks if b.kind != "heading"), Block("text", TOO_LONG))
    limit = 4000
    while limit >= 250:
        card = _card(answer, [Block(first.kind, shorten(first.text, limit))], True, quotes=False)
        if card_bytes(card) <= max_bytes:
            return card
        limit //= 2
    return _card(answer, [Block("text", TOO_LONG)], shortened=False, quotes=False, sources=False)


def card_message(card: dict, summary: str) -> Activity:
    """A message activity carrying ``card``; ``summary`` shows in notifications."""
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.summary = summary
    return activity


def summary_of(answer: Answer) -> str:
    """One line for notifications: the first sentence of the answer, markers removed."""
    for block in answer_blocks(answer.answer):
        if block.kind == "text":
            text = re.sub(r"(?<!\s)\s*\[\d+\]", "", block.text.lstrip("-* ")).replace("*", "")
            sentence = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
            return shorten(sentence, SUMMARY_CHARS)
    return "hlsguide answered"


def _card(
    answer: Answer,
    blocks: list[Block],
    shortened: bool,
    quotes: bool = True,
    sources: bool = True,
) -> dict:
    body: list[dict] = [_element(block) for block in blocks]
    if shortened:
        body.append(_text(SHORTENED_NOTE, subtle=True))
    if answer.fallback:
        body.append(_text(FALLBACK_NOTE, subtle=True))
    if sources and answer.citations:
        cited = set().union(*(b.markers for b in blocks)) if shortened else None
        shown = [c for c in answer.citations if cited is None or c.n in cited]
        if shown:
            body.append(_sources(shown, quotes))
    body.extend(_feedback_inputs())
    return _envelope(body, _feedback_actions(answer.answer_id), summary_of(answer))


def _envelope(body: list[dict], actions: list[dict], fallback: str) -> dict:
    card: dict = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "fallbackText": safe_text(fallback),
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def _without_trailing_headings(blocks: list[Block]) -> list[Block]:
    while blocks and blocks[-1].kind == "heading":
        blocks = blocks[:-1]
    return blocks


def _text(text: str, subtle: bool = False, **extra: Any) -> dict:
    element = {"type": "TextBlock", "text": text, "wrap": True, **extra}
    if subtle:
        element.update(isSubtle=True, size="Small")
    return element


def _element(block: Block) -> dict:
    if block.kind == "heading":
        return _text(block.text, weight="Bolder", size="Medium", spacing="Medium")
    if block.kind == "notice":
        return {"type": "Container", "style": "emphasis", "items": [_text(block.text)]}
    return _text(block.text)


def _sources(citations: list[Citation], quotes: bool) -> dict:
    items: list[dict] = [_text("Sources", weight="Bolder", size="Medium")]
    for citation in citations:
        where = f", {citation.heading}" if citation.heading else ""
        lines = [f"**[{citation.n}]** {safe_text(citation.title + where)} ({citation.kind})"]
        for publication in citation.publications[:MAX_PUBLICATIONS_LISTED]:
            lines.append(f"- {link(publication.formatted, publication.url)}")
        items.append(_text("\n".join(lines), spacing="Small"))
        if quotes and citation.quote:
            quote = shorten(plain_quote(citation.quote), QUOTE_CHARS)
            items.append(_text(f"“{quote}”", subtle=True, spacing="None"))
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def _feedback_inputs() -> list[dict]:
    return [
        {
            "type": "Input.Text",
            "id": COMMENT_INPUT,
            "label": "Was this helpful? Tell us why (optional)",
            "placeholder": "What would have made it better?",
            "maxLength": COMMENT_MAX_CHARS,
            "separator": True,
        }
    ]


def _feedback_actions(answer_id: str) -> list[dict]:
    return [
        {
            "type": "Action.Execute",
            "title": title,
            "verb": FEEDBACK_VERB,
            "data": {"answer_id": answer_id, "rating": rating},
        }
        for title, rating in (("👍 Helpful", 1), ("👎 Not helpful", -1))
    ]
