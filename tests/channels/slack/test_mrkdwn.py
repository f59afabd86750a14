"""Slack text in, mrkdwn out."""

from __future__ import annotations

import pytest

from hlsguide.channels.slack.mrkdwn import escape, link, markdown_to_mrkdwn, plain_question


@pytest.mark.parametrize(
    ("slack_text", "question"),
    [
        ("<@U0HLSBOT> What is a learning cycle?", "What is a learning cycle?"),
        ("<@U0HLSBOT|hlsguide>   <@U0HLSBOT> twice", "twice"),
        ("What would <@U024BE7LH|sam> say?", "What would @sam say?"),
        ("Ask <#C024BE7LR|commissioning> and <!here>", "Ask #commissioning and @here"),
        ("See <https://example.org/a?b=1&amp;c=2|the report>", "See the report"),
        ("See <https://example.org/x>", "See https://example.org/x"),
        ("Is 3 &lt; 4 &amp;&amp; 5 &gt; 2?", "Is 3 < 4 && 5 > 2?"),
        ("Literal &amp;copy; stays", "Literal &copy; stays"),
        ("<@U0HLSBOT>", ""),
    ],
)
def test_plain_question(slack_text, question):
    assert plain_question(slack_text) == question


def test_escape_and_markdown():
    assert escape("a & <b> c") == "a &amp; &lt;b&gt; c"
    rendered = markdown_to_mrkdwn("### In short\n\n- **Learn** fast & <adapt>\n* second")
    assert rendered == "*In short*\n\n• *Learn* fast &amp; &lt;adapt&gt;\n• second"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://doi.org/10.1/x", "<https://doi.org/10.1/x|doi & co>".replace("&", "&amp;")),
        ("javascript:alert(1)", "doi &amp; co"),
        ("mailto:a@b.c", "doi &amp; co"),
        ("https://", "doi &amp; co"),
        (None, "doi &amp; co"),
    ],
)
def test_link_only_for_http(url, expected):
    assert link(url, "doi & co") == expected
