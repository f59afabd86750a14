"""Answer Markdown to the Markdown subset an Adaptive Card ``TextBlock`` renders, safely.

TextBlocks render bold, italics, bullet and numbered lists and ``[text](url)`` links, nothing
else: no headings, quotes, images or HTML. Answer text can carry words from user documents or a
language model, so it is treated as untrusted: HTML tags are removed, link and image syntax in it
is broken up, and the only links a card shows are the ones we build from publication URLs
(http or https only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from hlsguide.corpus.markup import CITATION_GROUP, CROSS_LINK

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(\s[^<>]*)?/?>")
# Whatever tag removal leaves or re-forms ("<scr<script>ipt>"), autolinks ("<javascript:x>")
# and declarations ("<!x>") need a character right after "<": a space there keeps them text.
_MARKUP_OPEN = re.compile(r"<(?=\S)")
# A link reference definition ("[r]: javascript:x") turns "[text][r]", or a marker, into a link.
# The prefix stays on its line: every line start is tried anyway, and a prefix that could run
# on across lines makes the search quadratic.
_LINK_DEFINITION = re.compile(r"^((?:[^\S\n]|[>*+\-\d.)])*\[(?:\\.|[^\]\\])*\]):", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_MARKER = re.compile(r"\[(\d+)\]")
_SOURCES_HEADING = re.compile(r"^#{1,6}\s+Sources\s*$", re.MULTILINE)


def safe_text(text: str) -> str:
    """``text`` with nothing a card could turn into markup we did not write: no HTML tags or
    comments, no link or image syntax, no control or direction-changing characters."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _LINK_DEFINITION.sub(r"\1 :", _MARKUP_OPEN.sub("< ", text))
    # "[label](url)" and "![alt](src)" stop being links once "](" is broken.
    return text.replace("![", "[").replace("](", "] (")


def link(label: str, url: str | None) -> str:
    """A Markdown link to ``url`` when it is a plain http(s) URL, else just the label."""
    label = safe_text(label).replace("[", "(").replace("]", ")")
    target = safe_url(url)
    return f"[{label}]({target})" if target else label


def safe_url(url: str | None) -> str | None:
    """``url`` fit for a card link (http or https with a host, no credentials), with the
    characters that would end a Markdown link escaped; None otherwise."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return quote(url, safe=":/?#&=+%~@!$*,;'._-")


def plain_quote(text: str) -> str:
    """A corpus quote for display: citation markup dropped, cross-links as words."""
    text = CITATION_GROUP.sub("", text)
    text = CROSS_LINK.sub(lambda m: m.group(1).replace("-", " "), text)
    return " ".join(safe_text(text).split())


@dataclass(frozen=True)
class Block:
    """One piece of an answer: a heading, a notice (a Markdown quote) or body text."""

    kind: str  # "heading", "notice" or "text"
    text: str

    @property
    def markers(self) -> set[int]:
        """The citation numbers ``[n]`` this block uses."""
        return {int(n) for n in _MARKER.findall(self.text)}


def answer_blocks(markdown: str) -> list[Block]:
    """The answer body (its own "Sources" list left out: cards show sources separately) as
    headings, notices and paragraphs, each made safe."""
    sources = _SOURCES_HEADING.search(markdown)
    if sources:
        markdown = markdown[: sources.start()]
    blocks = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        lines = [line.rstrip() for line in paragraph.strip().splitlines()]
        if not lines:
            continue
        heading = _HEADING.match(lines[0])
        if heading:
            blocks.append(Block("heading", safe_text(heading.group(1)).strip()))
            lines = lines[1:]
        if not lines:
            continue
        if all(line.startswith(">") for line in lines):
            text = " ".join(line.lstrip(">").strip() for line in lines)
            blocks.append(Block("notice", safe_text(text)))
        else:
            blocks.append(Block("text", safe_text("\n".join(lines))))
    return [block for block in blocks if block.text]


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"
