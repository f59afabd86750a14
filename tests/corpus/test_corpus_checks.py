"""The curated corpus must satisfy its contract; a broken document is named with its rule."""

import shutil
from pathlib import Path

from hlsguide.corpus.checks import check_corpus

PROJECT = Path(__file__).parents[2]


def test_the_real_corpus_passes_every_check():
    problems = check_corpus(PROJECT / "corpus")
    assert not problems, "\n".join(map(str, problems[:50]))


def test_a_broken_document_is_named_with_its_rule(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT / "corpus", corpus)
    target = corpus / "concepts" / "cynefin.md"
    text = target.read_text()
    text = text.replace("[@", "[@no-such-key-").replace("[[", "[[no-such-doc-", 1)
    text += (
        "\n\nThis closing paragraph states a fact about public services in England"
        " without giving any source or citation for it at all.\n"
    )
    target.write_text(text)
    copy = corpus / "concepts" / "cynefin-copy.md"
    copy.write_text(text.replace("id: cynefin", "id: cynefin-copy"))
    problems = check_corpus(corpus)
    rules = {(p.path.split("/")[-1], p.rule) for p in problems}
    assert ("cynefin.md", "citation") in rules
    assert ("cynefin.md", "cross-link") in rules
    assert ("cynefin.md", "uncited-paragraph") in rules
    shared = [str(p) for p in problems if p.rule == "shared-run"]
    assert any("cynefin.md" in s and "cynefin-copy.md" in s for s in shared)
