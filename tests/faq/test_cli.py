"""``hlsguide faq`` end to end: four formats from one run, a failing question, bad input, and
resume after the batch process is killed mid-run (SIGKILL), counted in the answer log."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hlsguide.cli.app import app as cli
from hlsguide.faq.checkpoint import checkpoint_path
from hlsguide.storage import Store
from hlsguide.storage.answer_log import answers_since

from .conftest import FIXTURE_QUESTIONS

HLSGUIDE = Path(sys.executable).parent / "hlsguide"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def faq_rows(settings) -> int:
    rows = answers_since(Store(settings.resolved_database_url))
    return sum(r.channel == "faq" for r in rows)


def test_four_formats_from_one_run_and_a_failing_question(fixture_answers, cli_env, tmp_path):
    questions = tmp_path / "questions.csv"
    rows = [("question", "group")] + [(q, "Fixture") for q in FIXTURE_QUESTIONS[:2]]
    rows.append(("control\x07character", "Broken"))
    with open(questions, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    outs = [tmp_path / f"faq.{suffix}" for suffix in ("md", "html", "json", "csv")]
    result = invoke("faq", str(questions), *[f"--out={p}" for p in outs], "--concurrency", "2")
    assert result.exit_code == 1, result.output  # one question failed; the rest were written
    assert "2 answered (0 from the checkpoint), 1 failed" in result.stdout
    assert "failed q003: QuestionError" in result.stderr
    assert all(p.exists() for p in outs)
    assert checkpoint_path(outs[0]).exists()
    report = json.loads(outs[2].read_text())
    assert [i["status"] for i in report["items"]] == ["ok", "ok", "failed"]
    ids = [i["answer"]["answer_id"] for i in report["items"][:2]]
    table = list(csv.DictReader(io.StringIO(outs[3].read_text())))
    assert [r["answer_id"] for r in table[:2]] == ids  # one batch behind every format
    assert "## Fixture" in outs[0].read_text()
    assert '<html lang="en-GB">' in outs[1].read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "faq.pdf"], "cannot tell the format from 'faq.pdf'"),
        (["--out", "a.md", "--out", "b.md", "--format", "md"], "--format applies to a single"),
        (["--out", "faq.md", "--format", "docx"], "--format must be one of md, html, json, csv"),
        (["--out", "faq.md", "--mode", "magic"], "--mode must be 'extractive' or 'llm'"),
        (["--out", "a.md", "--out", "a.md"], "the same --out is given twice"),
    ],
)
def test_bad_options(cli_env, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "q.txt").write_text("What is HLS?\n")
    result = invoke("faq", "q.txt", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_bad_question_file_and_no_index(cli_env, tmp_path, monkeypatch):
    result = invoke("faq", str(tmp_path / "absent.txt"), "--out", str(tmp_path / "f.md"))
    assert result.exit_code == 2
    assert "absent.txt: no such file" in result.stderr
    (tmp_path / "q.txt").write_text("What is HLS?\n")
    monkeypatch.setenv("HLSGUIDE_DATA_DIR", str(tmp_path / "empty"))
    result = invoke("faq", str(tmp_path / "q.txt"), "--out", str(tmp_path / "f.md"))
    assert result.exit_code == 2
    assert "the index has not been built yet" in result.stderr


def test_resume_after_the_process_is_killed(fixture_answers, cli_env, tmp_path):
    questions = tmp_path / "questions.txt"
    texts = [f"{q} (variant {n})" for n in range(1, 9) for q in FIXTURE_QUESTIONS]
    questions.write_text("\n".join(texts) + "\n")
    out = tmp_path / "faq.json"
    state = checkpoint_path(out)
    process = subprocess.Popen(
        [str(HLSGUIDE), "faq", str(questions), "--out", str(out), "--concurrency", "1"],
        env={**os.environ, **cli_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            if state.exists() and len(state.read_text().splitlines()) >= 3:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the batch finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not out.exists()  # killed before writing the output

    finished = {}
    for line in state.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line torn by the kill; its question is redone
        finished[entry["id"]] = entry["answer"]["answer_id"]
    assert 3 <= len(finished) < len(texts)
    logged_before = faq_rows(fixture_answers.settings)

    result = invoke("faq", str(questions), "--out", str(out), "--resume", "--concurrency", "2")
    assert result.exit_code == 0, result.output
    assert f"{len(texts)} answered ({len(finished)} from the checkpoint), 0 failed" in result.stdout
    # Only unfinished questions were asked again: each answer is logged once, by channel faq.
    asked_again = faq_rows(fixture_answers.settings) - logged_before
    assert asked_again == len(texts) - len(finished)
    items = json.loads(out.read_text())["items"]
    assert [i["question"] for i in items] == texts
    for item in items:
        if item["id"] in finished:
            assert item["answer"]["answer_id"] == finished[item["id"]]
