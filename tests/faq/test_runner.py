"""The batch runner on the real answer service (fixture corpus): same answers as /v1/ask,
bounded concurrency, failures recorded without stopping the batch, resume after a crash."""

import asyncio
import json
import threading
import time

import httpx
import pytest

from hlsguide.api.app import create_app
from hlsguide.faq.checkpoint import Checkpoint
from hlsguide.faq.questions import FaqQuestion
from hlsguide.faq.results import ItemResult
from hlsguide.faq.runner import pending, run_batch
from hlsguide.storage.answer_log import answers_since

from .conftest import FIXTURE_QUESTIONS, CountingAsker, SimulatedCrash


def batch(texts, group=None) -> list[FaqQuestion]:
    return [
        FaqQuestion(id=f"q{n:03d}", question=text, group=group)
        for n, text in enumerate(texts, start=1)
    ]


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_batch_answers_equal_v1_ask(fixture_answers, tmp_path):
    questions = batch(FIXTURE_QUESTIONS[:2])
    with Checkpoint(tmp_path / "cp.jsonl", resume=False) as checkpoint:
        results = await run_batch(
            fixture_answers, questions, mode="extractive", concurrency=2, sink=checkpoint
        )
    app = create_app(fixture_answers.settings, fixture_answers.retrieval, fixture_answers)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for result in results:
            response = await http.post(
                "/v1/ask", json={"question": result.question, "mode": "extractive"}
            )
            assert response.status_code == 200
            direct = response.json()
            assert result.answer.answer == direct["answer"]
            assert [c.model_dump() for c in result.answer.citations] == direct["citations"]
            assert result.answer.lens.model_dump() == direct["lens"]
    logged = answers_since(fixture_answers.store)
    assert sorted(r.channel for r in logged) == ["api", "api", "faq", "faq"]


async def test_a_failing_item_does_not_stop_the_batch(fixture_answers, tmp_path):
    texts = [FIXTURE_QUESTIONS[0], "bell\x07character?", "word " * 400, FIXTURE_QUESTIONS[1]]
    seen: list[str] = []
    with Checkpoint(tmp_path / "cp.jsonl", resume=False) as checkpoint:
        results = await run_batch(
            fixture_answers,
            batch(texts),
            mode="extractive",
            concurrency=2,
            sink=checkpoint,
            on_result=lambda r: seen.append(r.id),
        )
    assert [r.status for r in results] == ["ok", "failed", "failed", "ok"]
    assert results[1].error.startswith("QuestionError: the question contains 1 control character")
    assert "tokens long; the limit is 300" in results[2].error
    assert sorted(seen) == ["q001", "q002", "q003", "q004"]
    recorded = {entry["id"]: entry["status"] for entry in lines(tmp_path / "cp.jsonl")}
    assert recorded == {"q001": "ok", "q002": "failed", "q003": "failed", "q004": "ok"}


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_resume_after_a_crash_redoes_nothing_finished(fixture_answers, tmp_path, concurrency):
    questions = batch(FIXTURE_QUESTIONS)
    path = tmp_path / "cp.jsonl"
    crashing = CountingAsker(fixture_answers, crash_after=2)
    with pytest.raises(SimulatedCrash), Checkpoint(path, resume=False) as checkpoint:
        await run_batch(
            crashing, questions, mode="extractive", concurrency=concurrency, sink=checkpoint
        )
    before = {entry["id"]: entry for entry in lines(path) if entry["status"] == "ok"}
    # What finished before the crash was checkpointed (with two workers, the question in
    # flight beside the crashing one may or may not have finished).
    assert 1 <= len(before) <= 2 if concurrency > 1 else len(before) == 2

    resumed = CountingAsker(fixture_answers)
    with Checkpoint(path, resume=True) as checkpoint:
        results = await run_batch(
            resumed, questions, mode="extractive", concurrency=concurrency, sink=checkpoint
        )
    unfinished = [q.question for q in questions if q.id not in before]
    assert sorted(resumed.asked) == sorted(unfinished)
    assert [r.status for r in results] == ["ok"] * 4
    for result in results:
        if result.id in before:  # reused as it was, not asked again
            assert result.answer.answer_id == before[result.id]["answer"]["answer_id"]
    assert {entry["id"] for entry in lines(path)} == {q.id for q in questions}


async def test_failed_items_are_retried_on_resume(fixture_answers, tmp_path):
    class FlakyOnce(CountingAsker):
        failed = False

        def ask(self, question, **options):
            if question == FIXTURE_QUESTIONS[1] and not self.failed:
                self.failed = True
                raise ConnectionError("backend went away")
            return super().ask(question, **options)

    questions = batch(FIXTURE_QUESTIONS[:3])
    path = tmp_path / "cp.jsonl"
    flaky = FlakyOnce(fixture_answers)
    with Checkpoint(path, resume=False) as checkpoint:
        first = await run_batch(flaky, questions, mode="extractive", concurrency=1, sink=checkpoint)
    assert [r.status for r in first] == ["ok", "failed", "ok"]
    assert first[1].error == "ConnectionError: backend went away"
    again = CountingAsker(fixture_answers)
    with Checkpoint(path, resume=True) as checkpoint:
        second = await run_batch(
            again, questions, mode="extractive", concurrency=1, sink=checkpoint
        )
    assert again.asked == [FIXTURE_QUESTIONS[1]]
    assert [r.status for r in second] == ["ok", "ok", "ok"]


async def test_concurrency_is_bounded(fixture_answers, tmp_path):
    class Slow(CountingAsker):
        running = 0
        most = 0
        guard = threading.Lock()

        def ask(self, question, **options):
            with self.guard:
                Slow.running += 1
                Slow.most = max(Slow.most, Slow.running)
            try:
                time.sleep(0.2)
                return super().ask(question, **options)
            finally:
                with self.guard:
                    Slow.running -= 1

    questions = batch(FIXTURE_QUESTIONS * 2)
    questions = [q.model_copy(update={"id": f"q{n}"}) for n, q in enumerate(questions)]
    with Checkpoint(tmp_path / "cp.jsonl", resume=False) as checkpoint:
        await run_batch(
            Slow(fixture_answers), questions, mode="extractive", concurrency=3, sink=checkpoint
        )
    assert 1 < Slow.most <= 3


def test_checkpoint_ignores_a_torn_line_and_a_fresh_run_starts_over(tmp_path, fixture_answers):
    questions = batch(FIXTURE_QUESTIONS[:2])
    path = tmp_path / "cp.jsonl"
    with Checkpoint(path, resume=False) as checkpoint:
        asyncio.run(
            run_batch(fixture_answers, questions, mode="extractive", concurrency=1, sink=checkpoint)
        )
    text = path.read_text()
    path.write_text(text + text.splitlines()[0][:57])  # a write cut short by a kill
    with Checkpoint(path, resume=True) as checkpoint:
        assert set(checkpoint.finished()) == {"q001", "q002"}
    with Checkpoint(path, resume=False) as checkpoint:
        assert checkpoint.finished() == {}
    assert path.read_text() == ""


def test_a_finished_item_is_reused_only_for_the_same_question_and_mode():
    question = FaqQuestion(id="q001", question="What is HLS?")

    class Sink:
        def __init__(self, result):
            self.result = result

        def finished(self):
            return {"q001": self.result}

        def record(self, result):
            raise AssertionError("not called")

    done = ItemResult(id="q001", question="What is HLS?", mode="extractive", status="ok")
    assert pending([question], "extractive", Sink(done)) == ([], {"q001": done})
    assert pending([question], "llm", Sink(done))[0] == [question]
    edited = question.model_copy(update={"question": "What is HLS, briefly?"})
    assert pending([edited], "extractive", Sink(done))[0] == [edited]
