"""The command line, run in-process through typer's runner on a real index."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hlsguide.cli.app import app

# The commands run in this process on Settings(): they load the bundled model.
pytestmark = pytest.mark.model

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("HLSGUIDE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HLSGUIDE_CORPUS_PATHS", json.dumps([str(p) for p in settings.corpus_paths]))
    monkeypatch.setenv("HLSGUIDE_CHUNK_TOKENS", "64")
    monkeypatch.setenv("HLSGUIDE_CHUNK_OVERLAP_TOKENS", "16")
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_index_search_sources_and_eval(run, corpus_dir):
    result = run("index", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["added"]) == 4
    assert report["failed"] == []

    result = run("index", "--json")
    second = json.loads(result.stdout)
    assert len(second["unchanged"]) == 4
    assert second["added"] == []

    result = run("search", "gaming of waiting-time targets", "--json", "--k", "2")
    hits = json.loads(result.stdout)
    assert hits[0]["chunk"]["document_id"] == "target-gaming"

    result = run("search", "alliance", "--kind", "case")
    assert "case-riverside" in result.stdout

    result = run("sources", "--json")
    assert set(json.loads(result.stdout)) >= {"learning-loops", "case-riverside"}

    result = run("eval", "retrieval", "--questions", str(FIXTURES / "questions.yaml"), "--json")
    scores = json.loads(result.stdout)
    assert set(scores["overall"]) == {"hybrid", "dense", "bm25"}
    assert scores["overall"]["hybrid"]["hit_at_k"] == 1.0
    assert scores["skipped"] == ["Q3"]
    assert "concepts" in scores["by_category"]


def test_every_eval_json_stays_json_when_piped(run, corpus_dir, tmp_path):
    """Ids and texts longer than a terminal line, with brackets rich would read as markup,
    come through each eval command's --json intact."""
    long_id = "q-" + "longer-than-a-terminal-line-" * 4 + "[1]"
    questions = tmp_path / "long.yaml"
    question = {
        "id": long_id,
        "question": "Why do waiting-time targets get gamed?",
        "category": "concepts",
        "relevant": ["target-gaming"],
    }
    questions.write_text(yaml.safe_dump({"questions": [question]}))
    # Relational wording labelled as a target framing: a mistake that reports its whole text.
    paragraph = (
        "There will be no outcome targets; data will help partners learn, not trigger payment "
        "[see Schedule 2], and partners will meet each month to review what they are learning."
    )
    labels = tmp_path / "labels.yaml"
    labels.write_text(yaml.safe_dump({"items": [{"text": paragraph, "framings": ["attribution"]}]}))
    assert run("index", "--json").exit_code == 0

    result = run("eval", "retrieval", "--questions", str(questions), "--json")
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["ranks"]["hybrid"]) == {long_id}

    result = run("eval", "answers", "--questions", str(questions), "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)[str(questions)]["scores"]
    assert [s["id"] for s in scores] == [long_id]

    result = run("eval", "review", "--labels", str(labels), "--json")
    assert result.exit_code == 0, result.output
    [mistake] = json.loads(result.stdout)["mistakes"]
    assert mistake["text"] == paragraph


def test_index_reports_bad_files_and_exits_1(run, corpus_dir):
    (corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    result = run("index")
    assert result.exit_code == 1
    assert "broken.pdf: malformed PDF" in result.stderr
    assert "added" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "  "), "the query is empty"),
        (("search", "x"), "the index has not been built yet"),
        (("eval", "retrieval", "--questions", "/nonexistent.yaml"), "cannot read questions"),
    ],
)
def test_cli_errors_are_clear(run, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unknown_expectation_label_is_refused(run, tmp_path):
    questions = tmp_path / "labels.yaml"
    item = {"id": "ADV-1", "question": "Is it the weather?", "expect": "decline"}
    questions.write_text(yaml.safe_dump({"questions": [item]}))
    result = run("eval", "answers", "--questions", str(questions))
    assert result.exit_code == 2
    assert "question 1" in result.stderr
    assert "decline-out-of-scope" in result.stderr
