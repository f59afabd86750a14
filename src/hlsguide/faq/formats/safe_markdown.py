"""Answer Markdown to HTML, safely: every character is escaped first, then only the small subset
answers use becomes markup (headings, paragraphs, ``-``/``1.`` lists, ``>`` quotes, ``**bold**``
and ``[n]`` source markers). Nothing in an answer can produce a tag, attribute or URL of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^>\s?(.*)$")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MARKER = re.compile(r"\[(\d{1,3})\]")

# marker number -> href of that source (an id inside the page), or None to leave it as text
MarkerLink = Callable[[int], str | None]


def inline(text: str, marker_link: MarkerLink) -> str:
    """Escape ``text``, then turn ``**bold**`` and resolvable ``[n]`` into markup."""
    html = escape(text, quote=True)
    html = _BOLD.sub(r"<strong>\1</strong>", html)

    def marker(match: re.Match[str]) -> str:
        href = marker_link(int(match.group(1)))
        if href is None:
            return match.group(0)
        return f'<a class="marker" href="#{escape(href, quote=True)}">[{match.group(1)}]</a>'

    return _MARKER.sub(marker, html)


def to_html(markdown: str, marker_link: MarkerLink, heading_offset: int = 1) -> str:
    """Render answer Markdown; ``#`` levels shift down by ``heading_offset`` (capped at h6)."""
    out: list[str] = []
    lines = markdown.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        if heading := _HEADING.match(line):
            level = min(6, len(heading.group(1)) + heading_offset)
            out.append(f"<h{level}>{inline(heading.group(2), marker_link)}</h{level}>")
            i += 1
            continue
        for pattern, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
            if pattern.match(line):
                items = []
                while i < len(lines) and (item := pattern.match(lines[i].strip())):
                    items.append(f"<li>{inline(item.group(1), marker_link)}</li>")
                    i += 1
                out.append(f"<{tag}>{''.join(items)}</{tag}>")
                break
        else:
            if _QUOTE.match(line):
                quoted = []
                while i < len(lines) and (part := _QUOTE.match(lines[i].strip())):
                    quoted.append(part.group(1))
                    i += 1
                out.append(
                    f"<blockquote>{to_html(chr(10).join(quoted), marker_link, 0)}</blockquote>"
                )
                continue
            paragraph = []
            while i < len(lines) and (text := lines[i].strip()) and not _starts_block(text):
                paragraph.append(text)
                i += 1
            out.append(f"<p>{inline(' '.join(paragraph), marker_link)}</p>")
            continue
    return "\n".join(out)


def _starts_block(line: str) -> bool:
    return any(p.match(line) for p in (_HEADING, _BULLET, _NUMBERED, _QUOTE))
