"""``hlsguide ask --server`` and ``search --server``: the commands talk to a real uvicorn
serving the API, and print what they print when answering in process."""

from __future__ import annotations

import json

import pytest
from support.servers import LiveServer
from support.services import free_port
from typer.testing import CliRunner

from hlsguide.api.app import create_app
from hlsguide.cli.app import app as cli
from hlsguide.storage.conversations import history

QUESTION = "What is a learning cycle?"


@pytest.fixture(scope="module")
def server(answers):
    with LiveServer(create_app(answers.settings, answers.retrieval, answers)) as live:
        yield live


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_ask_over_http_answers_and_continues_the_conversation(server, answers):
    first = run("ask", QUESTION, "--server", server.url, "--json")
    assert first.exit_code == 0, first.output
    answer = json.loads(first.stdout)
    assert answer["citations"]
    assert answer["mode"] == "extractive"
    follow_up = run(
        "ask",
        "And who runs them?",
        "--conversation",
        answer["conversation_id"],
        "--conversation-secret",
        answer["conversation_secret"],
        "--json",
        env={"HLSGUIDE_SERVER_URL": server.url},
    )
    assert follow_up.exit_code == 0, follow_up.output
    second = json.loads(follow_up.stdout)
    assert second["conversation_id"] == answer["conversation_id"]
    assert second["standalone_query"] != "And who runs them?"  # condensed on the server
    turns = history(answers.store, answer["conversation_id"])
    assert [turn.question for turn in turns] == [QUESTION, "And who runs them?"]


def test_ask_over_http_prints_the_answer_as_in_process(server):
    result = run("ask", QUESTION, "--server", server.url)
    assert result.exit_code == 0, result.output
    assert "### Sources" not in result.stdout  # rendered Markdown, not its source
    assert "Sources" in result.stdout
    assert "mode extractive · conversation " in result.stdout


def test_search_over_http_matches_the_search_in_process(server, answers):
    query = "gaming of waiting-time targets"
    result = run("search", query, "--server", server.url, "--json", "--k", "3")
    assert result.exit_code == 0, result.output
    remote = [hit["chunk"]["id"] for hit in json.loads(result.stdout)]
    local = [hit.chunk.id for hit in answers.retrieval.searcher().search(query, 3)]
    assert remote == local


def test_server_errors_are_reported_with_the_servers_reason(server):
    empty = run("ask", "   ", "--server", server.url)
    assert empty.exit_code == 2
    assert "the server answered 422" in empty.output
    unknown = run("ask", QUESTION, "--server", server.url, "--conversation", "nope")
    assert unknown.exit_code == 2
    assert "no conversation with id 'nope'" in unknown.output
    down = run("search", "targets", "--server", f"http://127.0.0.1:{free_port()}")
    assert down.exit_code == 2
    assert "cannot reach the server" in down.output


def test_a_server_url_that_is_not_http_is_refused():
    result = run("search", "targets", "--server", "file:///etc/passwd")
    assert result.exit_code == 2
    assert "the server must be an http:// or https:// URL" in result.output
