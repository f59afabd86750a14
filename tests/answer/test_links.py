"""Answers carry only known links: references.yaml's URLs and DOIs stay, anything else goes."""

import logging

from hlsguide.answer.links import known_links, strip_unknown_links
from hlsguide.corpus.references import Bibliography

BIBLIOGRAPHY = Bibliography(
    {
        "lowe": {
            "id": "lowe",
            "title": "Exploring the New World",
            "URL": "https://hls.example/enw",
        },
        "doi": {"id": "doi", "title": "A paper", "DOI": "10.1000/xyz"},
    }
)


def test_known_links_stay_and_foreign_links_go(caplog):
    known = known_links(BIBLIOGRAPHY, [])
    markdown = (
        "See [the report](https://hls.example/enw) and https://doi.org/10.1000/xyz. "
        "Also [claim](https://evil.example/c?q=1), ![x](https://beacon.example/p.png), "
        "<https://evil.example/auto> and www.evil.example/page."
    )
    with caplog.at_level(logging.WARNING, logger="hlsguide.answer.links"):
        out, removed = strip_unknown_links(markdown, known)
    assert "[the report](https://hls.example/enw)" in out
    assert "https://doi.org/10.1000/xyz." in out
    assert "evil.example" not in out
    assert "beacon.example" not in out
    assert "claim" in out  # a foreign link keeps its words
    assert set(removed) == {
        "https://evil.example/c?q=1",
        "https://beacon.example/p.png",
        "https://evil.example/auto",
        "www.evil.example/page",
    }
    assert any("removed links" in r.message for r in caplog.records)


def test_an_answer_without_links_is_untouched():
    text = "Pooled budgets let partners share money [1]."
    assert strip_unknown_links(text, set()) == (text, [])
