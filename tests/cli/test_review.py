"""``hlsguide review`` in-process through typer's runner, on a real index."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from hlsguide.cli.app import app
from hlsguide.retrieval.index import current_generation
from hlsguide.review.models import Review

EXAMPLE = Path(__file__).parents[2] / "examples" / "specification-riverside-homelessness.md"


@pytest.fixture
def run(review_retrieval, monkeypatch):
    settings = review_retrieval.settings
    monkeypatch.setenv("HLSGUIDE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HLSGUIDE_CORPUS_PATHS", json.dumps([str(p) for p in settings.corpus_paths]))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def uploads(review_retrieval) -> list[str]:
    folder = review_retrieval.settings.resolved_documents_dir
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_review_writes_every_format(run, review_retrieval, tmp_path):
    before = uploads(review_retrieval), current_generation(review_retrieval.settings.index_dir)
    outs = [tmp_path / f"review.{ext}" for ext in ("md", "json", "html", "docx")]
    result = run("review", str(EXAMPLE), *[a for o in outs for a in ("--out", str(o))])
    assert result.exit_code == 0, result.output
    review = Review.model_validate_json(outs[1].read_text())
    assert f"{len(review.findings)} of {review.reviewed} paragraphs flagged" in result.stdout
    assert outs[0].read_text().count("### Paragraph ") == len(review.findings)
    assert outs[2].read_text().startswith("<!doctype html>")
    assert len(list(docx.Document(str(outs[3])).comments)) == len(review.findings)
    # Nothing stored, nothing indexed.
    assert (
        uploads(review_retrieval),
        current_generation(review_retrieval.settings.index_dir),
    ) == before


def test_bad_arguments_exit_2_with_a_message(run, tmp_path):
    result = run("review", str(EXAMPLE), "--out", str(tmp_path / "review.pdf"))
    assert result.exit_code == 2
    assert "must be one of .docx, .md, .html, .json" in result.stderr
    missing = run("review", str(tmp_path / "nope.docx"), "--out", str(tmp_path / "r.md"))
    assert missing.exit_code == 2
    assert "cannot read" in missing.stderr
    binary = tmp_path / "draft.docx"
    binary.write_bytes(b"\x00\x01binary\xff")
    refused = run("review", str(binary), "--out", str(tmp_path / "r.md"))
    assert refused.exit_code == 2
    assert "unsupported content" in refused.stderr
