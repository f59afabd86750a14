"""The XSS corpus through the Slack renderer: every payload, in the answer text, the question
and the citation's title, heading, quote and publication, comes out as escaped mrkdwn. The only
Slack markup left is the source links the renderer builds itself, to http(s) URLs."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote, urlsplit

import pytest
from support.xss import PAYLOADS, Payload, hostile_answer

from hlsguide.channels.slack.blocks import answer_message

# Slack acts on anything between < and > (mentions, <!here>, links, dates) and decodes only
# these three entities.
_ANGLED = re.compile(r"<([^<>]*)>")
_LINK = re.compile(r"^(https?://[^\s|<>]+)\|[^<>|]*$")
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt);)")


def mrkdwn_texts(message) -> list[str]:
    """Every string Slack parses as mrkdwn: the fallback text, section and context texts."""
    texts = [message.text]
    for block in message.blocks:
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn"
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts += [e["text"] for e in block["elements"] if e["type"] == "mrkdwn"]
    return texts


def survivors(payload: Payload) -> list[str]:
    """What of ``payload`` Slack would act on (empty when nothing)."""
    answer = hostile_answer(payload)
    message = answer_message(answer, asked=answer.question)
    texts = mrkdwn_texts(message)
    found = []
    built = {p.url for c in answer.citations for p in c.publications}
    for text in texts:
        for inner in _ANGLED.findall(text):
            link = _LINK.match(inner)
            if not link:
                found.append(f"Slack markup <{inner}>")
                continue
            target = html.unescape(link.group(1))
            if not urlsplit(target).netloc:
                found.append(f"link without a host <{inner}>")
            # Links come only from publication URLs, never from answer text.
            if unquote(target) not in built:
                found.append(f"link not built by the renderer <{inner}>")
        rest = _ANGLED.sub("", text)
        if "<" in rest or ">" in rest:
            found.append(f"bare angle bracket in {rest[:120]!r}")
        found += [f"raw ampersand at {m.start()} in {text[:120]!r}" for m in _ENTITY.finditer(text)]
    shown = html.unescape("\n".join(texts))
    # The payload was shown, as text: its sentinel reached the body, the question, the title.
    assert shown.count(f"seen-{payload.marker}") >= 4, shown
    return found


def test_the_corpus_has_at_least_a_hundred_payloads():
    assert len(PAYLOADS) >= 100
    assert len({p.text for p in PAYLOADS}) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: f"{p.marker}-{p.family}")
def test_no_payload_survives_slack_rendering(payload):
    assert survivors(payload) == []


def test_slack_links_are_the_publications_http_urls_only():
    """Across the corpus, the only links in Slack messages are publication URLs that are
    plain http(s) with a host; javascript:, data:, vbscript: and scheme-relative ones are
    dropped and their label shown instead."""
    linked: set[str] = set()
    for payload in PAYLOADS:
        answer = hostile_answer(payload)
        for text in mrkdwn_texts(answer_message(answer)):
            linked.update(
                urlsplit(html.unescape(m.group(1))).scheme
                for inner in _ANGLED.findall(text)
                if (m := _LINK.match(inner))
            )
    assert linked == {"https"}
