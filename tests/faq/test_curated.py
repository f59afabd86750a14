"""Curated answers: approval from a batch, matching at the threshold, citations re-verified
against the live index (a removed source is not served; a re-cut one is found again)."""

import logging
import math

import yaml
from typer.testing import CliRunner

from hlsguide.answer.curated import CuratedStore
from hlsguide.answer.service import AnswerService
from hlsguide.cli.app import app as cli
from hlsguide.faq.approval import approve
from hlsguide.faq.checkpoint import Checkpoint
from hlsguide.faq.questions import FaqQuestion
from hlsguide.faq.runner import run_batch
from hlsguide.storage.answer_log import answers_since

from .conftest import FIXTURE_QUESTIONS

TARGETS = FIXTURE_QUESTIONS[1]  # "Why do waiting-time targets get gamed?"
PARAPHRASE = "Why are waiting time targets gamed?"


async def approved(service: AnswerService, tmp_path, question: str = TARGETS):
    """Answer ``question`` in a batch and approve it; returns (entry id, batch item)."""
    with Checkpoint(tmp_path / "cp.jsonl", resume=False) as checkpoint:
        [item] = await run_batch(
            service,
            [FaqQuestion(id="q001", question=question)],
            mode="extractive",
            concurrency=1,
            sink=checkpoint,
        )
    store = CuratedStore(service.settings.curated_dir)
    result = approve([item], None, service.curated, store, "A. Curator")
    assert list(result.written) == ["q001"], result.skipped
    return result.written["q001"].stem, item


def with_threshold(service: AnswerService, threshold: float) -> AnswerService:
    settings = service.settings.model_copy(update={"curated_threshold": threshold})
    return AnswerService(settings, service.retrieval, service.store)


async def test_match_at_the_threshold_and_not_just_above(fixture_answers, tmp_path):
    entry_id, item = await approved(fixture_answers, tmp_path)
    [(best, similarity)] = fixture_answers.curated.similarities(PARAPHRASE)
    assert best == entry_id
    assert 0.8 < similarity < 1.0  # a paraphrase, not the same text

    at = with_threshold(fixture_answers, similarity).ask(PARAPHRASE)
    assert at.curated is True
    assert at.question == PARAPHRASE
    assert at.answer.split("\n\n### Sources")[0] == item.answer.answer.split("\n\n### Sources")[0]
    assert [c.chunk_id for c in at.citations] == [c.chunk_id for c in item.answer.citations]
    assert at.answer_id != item.answer.answer_id
    assert at.answer_id in {r.id for r in answers_since(fixture_answers.store)}  # logged

    above = with_threshold(fixture_answers, math.nextafter(similarity, 2.0)).ask(PARAPHRASE)
    assert above.curated is False
    # An unrelated question is far below the default threshold.
    other = fixture_answers.ask(FIXTURE_QUESTIONS[2])
    assert other.curated is False


async def test_a_curated_answer_whose_source_was_removed_is_not_served(
    fixture_answers, built, corpus_dir, tmp_path, caplog
):
    entry_id, item = await approved(fixture_answers, tmp_path)
    assert "target-gaming" in {c.document_id for c in item.answer.citations}
    assert fixture_answers.ask(TARGETS).curated is True

    (corpus_dir / "concepts" / "target-gaming.md").unlink()
    report = built.build()  # re-index without the source
    assert report.removed == ["target-gaming"]
    with caplog.at_level(logging.WARNING, logger="hlsguide.answer.curated"):
        answer = fixture_answers.ask(TARGETS)
    assert answer.curated is False  # the normal answer, from what the index now holds
    assert "target-gaming" not in {c.document_id for c in answer.citations}
    assert f"curated answer {entry_id} not served: source [" in caplog.text
    assert "is no longer in the index with its quote" in caplog.text
    assert (fixture_answers.settings.curated_dir / f"{entry_id}.yaml").exists()  # kept for review


async def test_a_re_cut_source_is_found_again_by_its_quote(
    fixture_answers, built, corpus_dir, tmp_path
):
    _, item = await approved(fixture_answers, tmp_path)
    cited = {c.chunk_id for c in item.answer.citations if c.document_id == "target-gaming"}
    assert "target-gaming#0" in cited
    path = corpus_dir / "concepts" / "target-gaming.md"
    front, body = path.read_text().split("---\n", 2)[1:]
    preface = (
        "## Preface\n\nThis preface was added after approval so that every later passage of the "
        "document moves along by one place in the index and keeps its exact wording, which is "
        "what a curated citation is checked against when it is served again [@fixture-targets-2006]"
        ".\n\n"
    )
    path.write_text(f"---\n{front}---\n{preface}{body.lstrip()}")
    built.build()

    answer = fixture_answers.ask(TARGETS)
    assert answer.curated is True
    chunks = {c.id: c for c in built.searcher().snapshot.chunks}
    for citation in answer.citations:
        assert citation.quote in chunks[citation.chunk_id].text
    moved = [c for c in answer.citations if c.document_id == "target-gaming"]
    assert moved
    assert all(c.chunk_id != "target-gaming#0" for c in moved)


async def test_other_phrasings_and_unusable_files(fixture_answers, tmp_path, caplog):
    entry_id, _ = await approved(fixture_answers, tmp_path)
    folder = fixture_answers.settings.curated_dir
    path = folder / f"{entry_id}.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["approved_by"] == "A. Curator"
    assert data["question"] == TARGETS
    assert "\n" in data["answer"]
    assert "answer: |" in path.read_text()

    data["also_asked_as"] = ["How do hospitals manipulate their performance indicators?"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (folder / "broken.yaml").write_text("question: [unclosed\n")
    hand_edited = dict(data, question="What is a learning loop for?", answer="Claim [9].")
    (folder / "hand-edited.yaml").write_text(yaml.safe_dump(hand_edited))
    with caplog.at_level(logging.WARNING, logger="hlsguide.answer.curated"):
        answer = fixture_answers.ask("How do hospitals manipulate their performance indicators?")
    assert answer.curated is True
    assert "broken.yaml" in caplog.text
    assert "hand-edited.yaml: marker [9] has no citation" in caplog.text

    # Approving the question again keeps the curator's extra phrasings.
    await approved(fixture_answers, tmp_path)
    assert yaml.safe_load(path.read_text())["also_asked_as"] == data["also_asked_as"]


def test_approve_command(fixture_answers, cli_env, tmp_path):
    runner = CliRunner()
    questions = tmp_path / "questions.txt"
    questions.write_text(f"{FIXTURE_QUESTIONS[0]}\nWhat is the best lasagne recipe?\n")
    batch = tmp_path / "batch.json"
    result = runner.invoke(cli, ["faq", str(questions), "--out", str(batch)])
    assert result.exit_code == 0, result.output

    result = runner.invoke(cli, ["faq", "approve", str(batch), "--ids", "nope,q001"])
    assert result.exit_code == 2
    assert "no item with id 'nope' in the batch" in result.stderr

    result = runner.invoke(cli, ["faq", "approve", str(batch), "--ids", "q002"])
    assert result.exit_code == 1
    assert "the guide refused this question" in result.stdout

    result = runner.invoke(cli, ["faq", "approve", str(batch), "--by", "Ada"])
    assert result.exit_code == 0, result.output
    files = list(fixture_answers.settings.curated_dir.glob("*.yaml"))
    assert [yaml.safe_load(f.read_text())["question"] for f in files] == [FIXTURE_QUESTIONS[0]]
    assert "approved:" in result.stdout
    assert "skipped" in result.stdout

    (tmp_path / "notes.md").write_text("# not a batch")
    result = runner.invoke(cli, ["faq", "approve", str(tmp_path / "notes.md")])
    assert result.exit_code == 2
    assert "not a batch output" in result.stderr
