"""Block Kit rendering: an ``Answer`` as a Slack message, within Slack's limits.

Pure functions, no Slack client. Every piece of answer text goes through ``mrkdwn`` escaping;
the only markup in a message is the bold, bullets and source links built here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from hlsguide.answer.service import MAX_PUBLICATIONS_LISTED
from hlsguide.channels.slack.mrkdwn import escape, heading, link, markdown_to_mrkdwn
from hlsguide.types import Answer, Citation, Publication

# Slack rejects section text of 3,001 characters or more ("must be less than 3001 characters").
SECTION_CHARS = 2_900
# Slack allows 50 blocks per message; a margin keeps us clear of it.
MAX_BLOCKS = 45
# Text across all blocks: Slack answers msg_blocks_too_long near 13,000 characters even when every
# documented limit is met (slackapi/bolt-js#2509).
MAX_TEXT_CHARS = 12_000
# The top-level text (notifications, screen readers); Slack asks for 4,000 at most.
FALLBACK_CHARS = 3_000
# Sources come before the tail of a long answer, up to this share of the text budget.
SOURCES_CHARS = 5_000
QUESTION_CHARS = 500
FEEDBACK_UP = "hlsguide_feedback_up"
FEEDBACK_DOWN = "hlsguide_feedback_down"
SHORTENED = "_Shortened to fit Slack's message limits: ask a narrower question for the rest._"
USAGE = (
    "Ask me about commissioning, funding and managing public services in complexity "
    "(Human Learning Systems). For example: `/hls How can we commission without outcome "
    "targets?`, or mention me in a channel. Reply in the thread to follow up."
)

_SOURCES_HEADING = re.compile(r"^#{1,6}\s+Sources\s*$", re.MULTILINE)
_STRUCTURAL_LINE = re.compile(r"^\s*(#{1,6}\s|[-*+]\s|\d+[.)]\s)")


@dataclass(frozen=True)
class SlackMessage:
    """What ``chat.postMessage``/``chat.update``/``respond`` take: fallback text and blocks."""

    text: str
    blocks: list[dict]

    def as_kwargs(self) -> dict:
        return {"text": self.text, "blocks": self.blocks}


def _section(text: str) -> dict:
    # verbatim: Slack must not turn bare URLs, #channels or @names in the text into links or
    # mentions; the only links are the ones we wrote.
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def _cut(text: str, limit: int) -> str:
    """``text`` if it fits, else its longest prefix ending at a line, sentence or word break
    that fits with an ellipsis. Never cuts inside an ``&amp;``-style entity."""
    if len(text) <= limit:
        return text
    return split(text, limit - 1)[0].rstrip() + "…"


def split(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, broken at a paragraph, line, sentence or word
    boundary when there is one in the second half of the window."""
    pieces: list[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = -1
        for mark in ("\n\n", "\n", ". ", " "):
            at = window.rfind(mark)
            if at >= limit // 2:
                cut = at + (1 if mark == ". " else 0)
                break
        if cut < 0:
            cut = limit
            entity = text.rfind("&", max(0, cut - 5), cut)
            if entity > 0 and ";" not in text[entity:cut]:
                cut = entity
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def _body_markdown(answer: Answer) -> str:
    """The answer without its Markdown source list (sources are rendered from citations)."""
    matches = list(_SOURCES_HEADING.finditer(answer.answer))
    body = answer.answer[: matches[-1].start()] if answer.citations and matches else answer.answer
    return body.strip()


def _unwrap(paragraph: str) -> str:
    """Join hard-wrapped lines (prompt files wrap at 100 columns); keep list and heading lines."""
    lines: list[str] = []
    for line in paragraph.splitlines():
        if lines and line.strip() and not _STRUCTURAL_LINE.match(line):
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return "\n".join(lines)


def body_sections(markdown: str) -> list[str]:
    """Answer Markdown as section texts of at most ``SECTION_CHARS``: a heading starts a new
    section, paragraphs fill it, a paragraph too long for one section is split."""
    sections: list[str] = []
    for paragraph in re.split(r"\n\s*\n", markdown.strip()):
        if not paragraph.strip():
            continue
        starts = heading(paragraph.lstrip().splitlines()[0]) is not None
        for piece in split(markdown_to_mrkdwn(_unwrap(paragraph)), SECTION_CHARS):
            if sections and not starts and len(sections[-1]) + 2 + len(piece) <= SECTION_CHARS:
                sections[-1] = f"{sections[-1]}\n\n{piece}"
            else:
                sections.append(piece)
            starts = False
    return sections


def _link_label(publication: Publication) -> str:
    if publication.doi:
        return f"doi:{publication.doi}"
    return urlsplit(publication.url or "").netloc or "link"


def source_entry(citation: Citation) -> str:
    """``[n]`` title, heading and kind, then the publications it rests on, with DOI or URL."""
    lines = [f"*[{citation.n}]* *{escape(citation.title)}*"]
    if citation.heading:
        lines[0] += f" · {escape(citation.heading)}"
    lines[0] += f" ({escape(citation.kind)})"
    for publication in citation.publications[:MAX_PUBLICATIONS_LISTED]:
        line = f"      {escape(publication.formatted)}"
        if publication.url:
            line += " " + link(publication.url, _link_label(publication))
        lines.append(line)
    return "\n".join(lines)


def source_sections(citations: list[Citation]) -> list[str]:
    """The numbered source list as section texts, within ``SOURCES_CHARS`` in all."""
    sections = ["*Sources*"]
    used = 0
    for shown, citation in enumerate(citations):
        entry = _cut(source_entry(citation), SECTION_CHARS)
        if used + len(entry) > SOURCES_CHARS:
            rest = len(citations) - shown
            sections[-1] += f"\n_…and {rest} more source{'s' if rest > 1 else ''}._"
            break
        used += len(entry)
        if len(sections[-1]) + 1 + len(entry) <= SECTION_CHARS:
            sections[-1] = f"{sections[-1]}\n{entry}"
        else:
            sections.append(entry)
    return sections


def feedback_actions(answer_id: str) -> dict:
    """👍/👎 buttons; their value is the answer id the feedback attaches to."""
    return {
        "type": "actions",
        "block_id": "hlsguide_feedback",
        "elements": [
            {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": label, "emoji": True},
                "value": answer_id,
            }
            for action_id, label in ((FEEDBACK_UP, "👍 Helpful"), (FEEDBACK_DOWN, "👎 Not helpful"))
        ],
    }


def _about(answer: Answer) -> str:
    about = f"hlsguide · {escape(answer.mode)} answer"
    if answer.fallback:
        about += f" · the language model's answer was not used: {escape(answer.fallback)}"
    return _cut(about, 1_000)


def text_chars(blocks: list[dict]) -> int:
    """Characters of text across blocks: what Slack's undocumented total limit counts."""
    total = 0
    for block in blocks:
        if "text" in block:
            total += len(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            total += len(text["text"] if isinstance(text, dict) else text or "")
    return total


def answer_message(answer: Answer, asked: str | None = None) -> SlackMessage:
    """The answer as Block Kit: the question when Slack does not show it (``asked``), answer
    sections, numbered sources with links, a line on how it was made, feedback buttons.

    Within Slack's limits: at most ``MAX_BLOCKS`` blocks, section text under
    ``SECTION_CHARS``, ``MAX_TEXT_CHARS`` in all. Sources and feedback are kept; a long answer is
    split across sections and, past the limits, shortened with a note saying so."""
    head = [_context(f"*You asked:* {_cut(escape(asked), QUESTION_CHARS)}")] if asked else []
    tail: list[dict] = []
    if answer.citations:
        tail += [{"type": "divider"}, *map(_section, source_sections(answer.citations))]
    tail += [_context(_about(answer)), feedback_actions(answer.answer_id)]

    blocks_left = MAX_BLOCKS - len(head) - len(tail) - 1
    chars_left = MAX_TEXT_CHARS - text_chars(head + tail) - len(SHORTENED)
    body: list[dict] = []
    shortened = False
    for text in body_sections(_body_markdown(answer)):
        if len(body) < blocks_left and len(text) <= chars_left:
            body.append(_section(text))
            chars_left -= len(text)
            continue
        shortened = True
        if len(body) < blocks_left and chars_left > 200:
            body.append(_section(_cut(text, chars_left)))
        break
    if shortened:
        body.append(_context(SHORTENED))

    fallback = _cut(markdown_to_mrkdwn(_body_markdown(answer)), FALLBACK_CHARS)
    return SlackMessage(text=fallback, blocks=head + body + tail)


def notice_message(text: str) -> SlackMessage:
    """A one-section message from plain text (a placeholder, an error), escaped."""
    safe = _cut(escape(text), SECTION_CHARS)
    return SlackMessage(text=safe, blocks=[_section(safe)])


def usage_message() -> SlackMessage:
    """How to ask, for an empty mention or ``/hls`` with no question."""
    return SlackMessage(text=USAGE, blocks=[_section(USAGE)])
