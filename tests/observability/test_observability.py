"""/metrics in Prometheus format, the request id in and out, JSON log lines."""

import json
import logging

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.observability.logs import JsonFormatter


def samples(text: str) -> dict:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_count_requests_answers_and_index(built):
    app = create_app(built.settings, built, AnswerService(built.settings, built))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        await http.post("/v1/ask", json={"question": "What are learning loops?"})
        await http.post(
            "/v1/ask",
            json={"question": "Best lasagne recipe?"},
            headers={"X-Hlsguide-Channel": "widget"},
        )
        await http.post("/v1/search", json={"query": ""})
        text = (await http.get("/metrics")).text
    found = samples(text)
    ask = ("route", "/v1/ask"), ("status", "200")
    assert found[("hlsguide_requests_total", (("channel", "api"), ("method", "POST"), *ask))] == 1
    assert (
        found[("hlsguide_requests_total", (("channel", "widget"), ("method", "POST"), *ask))] == 1
    )
    assert (
        found[
            (
                "hlsguide_requests_total",
                (
                    ("channel", "api"),
                    ("method", "POST"),
                    ("route", "/v1/search"),
                    ("status", "422"),
                ),
            )
        ]
        == 1
    )
    assert found[("hlsguide_refusals_total", (("channel", "widget"),))] == 1
    assert found[("hlsguide_answers_total", (("channel", "api"), ("mode", "extractive")))] == 1
    assert (
        found[("hlsguide_request_seconds_count", (("channel", "api"), ("route", "/v1/ask")))] == 1
    )
    assert found[("hlsguide_answer_stage_seconds_count", (("stage", "retrieval"),))] == 2
    assert found[("hlsguide_index_chunks", ())] == len(built.searcher().snapshot.chunks)
    version = built.searcher().snapshot.generation
    assert found[("hlsguide_index_info", (("version", version),))] == 1


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_request_id_is_kept_or_minted_and_logged(built):
    app = create_app(built.settings, built, AnswerService(built.settings, built))
    transport = httpx.ASGITransport(app=app)
    # Our own handler on our loggers: independent of whatever configured the root logger.
    capture = Capture()
    loggers = [logging.getLogger(n) for n in ("hlsguide.answer", "hlsguide.request")]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.INFO)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        given = await http.post(
            "/v1/ask",
            json={"question": "What are learning loops?"},
            headers={"X-Request-ID": "abc-123"},
        )
        minted = await http.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert given.headers["x-request-id"] == "abc-123"
    assert len(minted.headers["x-request-id"]) == 32
    for logger in loggers:
        logger.removeHandler(capture)
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in capture.records]
    answer = next(line for line in lines if line["message"] == "answer")
    request = next(
        line for line in lines if line["message"] == "request" and line["route"] == "/v1/ask"
    )
    # the id set at the edge reaches the answer service, which runs in a worker thread
    assert answer["request_id"] == request["request_id"] == "abc-123"
    assert answer["mode"] == "extractive"
    assert request["status"] == 200
    assert request["duration_ms"] > 0
