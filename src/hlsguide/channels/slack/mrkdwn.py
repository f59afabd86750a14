"""Text between Slack and the answer core: Slack markup in, escaped mrkdwn out.

Answer text is untrusted for Slack (an LLM wrote it, or a document did): it is escaped so it
can never become a mention (``<!channel>``, ``<@U…>``) or a link with a hidden target. Only
links this module builds itself (``link``) reach Slack as markup."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

# <@U123>, <@U123|name>, <#C123|general>, <!here>, <!subteam^S1|@team>, <https://x|label>
_MARKUP = re.compile(r"<([^<>]*)>")
_LEADING_MENTIONS = re.compile(r"^(\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>)+")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    """A mrkdwn link to an http(s) URL, or the escaped label alone for any other URL."""
    if not url or urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).netloc:
        return escape(label)
    # '|' ends the target and '<>' end the link: they must not survive in the URL.
    target = escape(quote(url, safe=":/?#[]@!$&'()*+,;=%~"))
    return f"<{target}|{escape(label)}>"


def heading(line: str) -> str | None:
    """The text of a Markdown heading line, or None when the line is not a heading."""
    match = _HEADING.match(line)
    # Closing #s stripped in code: a lazy group before \s*#*\s*$ backtracks quadratically.
    return match.group(1).rstrip().rstrip("#").rstrip() if match else None


def markdown_to_mrkdwn(markdown: str) -> str:
    """Render answer Markdown as escaped Slack mrkdwn: headings and ``**bold**`` become bold,
    list markers become bullets; everything else is shown as written."""
    lines = []
    for line in markdown.splitlines():
        title = heading(line)
        if title is not None:
            lines.append(f"*{escape(title)}*")
            continue
        line = _BULLET.sub(lambda m: f"{m.group(1)}• ", line)
        lines.append(_BOLD.sub(r"*\1*", escape(line)))
    return "\n".join(lines)


def _plain_markup(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or "someone")
    if target.startswith("#"):
        return "#" + (label or "channel")
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    return label or target


def plain_question(slack_text: str) -> str:
    """The question in a Slack message: the leading @-mention of the bot dropped, Slack's
    markup (mentions, channel links, URLs) turned back into the words a person sees, and
    Slack's HTML entities decoded."""
    text = _LEADING_MENTIONS.sub("", slack_text or "")
    text = _MARKUP.sub(_plain_markup, text)
    return html.unescape(text).strip()
