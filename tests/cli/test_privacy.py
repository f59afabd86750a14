"""``hlsguide privacy export`` and ``delete``: one person's data as JSON, and its erasure, through
the command line on the configured database (identifier secret from the data directory)."""

import json
import uuid

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hlsguide.bootstrap import open_store
from hlsguide.cli.app import app as cli
from hlsguide.config import Settings
from hlsguide.privacy.owners import chat_owner, key_owner
from hlsguide.storage.answer_log import add_feedback, record_answer
from hlsguide.storage.api_keys import create_api_key
from hlsguide.storage.conversations import new_conversation
from hlsguide.storage.models import AnswerRecord
from hlsguide.types import Answer, Lens

TEAMS_USER = "7d1c9a52-0f3e-4b8a-9c6d-2e4f6a8b0c1d"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("HLSGUIDE_DATA_DIR", str(tmp_path))
    return open_store(Settings(_env_file=None, data_dir=tmp_path))


def asked(store, owner: str, question: str) -> str:
    answer = Answer(
        answer_id=uuid.uuid4().hex,
        question=question,
        standalone_query=question,
        answer="…",
        citations=[],
        lens=Lens(principles={}),
        mode="extractive",
        conversation_id=new_conversation(store, owner),
    )
    record_answer(store, answer, "teams")
    return answer.answer_id


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["privacy", *args], input=input)


def test_export_prints_a_teams_users_data_as_json(store, tmp_path):
    owner = chat_owner("teams", TEAMS_USER, store.pseudonym).id
    answer_id = asked(store, owner, "What is a learning cycle?")
    add_feedback(store, answer_id, -1, "thin", voter=owner)
    asked(store, key_owner("someone-else").id, "Not theirs")

    result = run("export", "--user", f"teams:{TEAMS_USER}")
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    assert exported["stored_as"] == [owner]
    assert [c["answers"][0]["question"] for c in exported["conversations"]] == [
        "What is a learning cycle?"
    ]
    assert [f["comment"] for f in exported["feedback"]] == ["thin"]

    written = tmp_path / "export.json"
    assert run("export", "--user", f"teams:{TEAMS_USER}", "-o", str(written)).exit_code == 0
    assert json.loads(written.read_text()) == exported


def test_delete_reports_counts_and_leaves_others(store):
    _, key = create_api_key(store, "intranet", ["ask"])
    asked(store, key_owner(key.id).id, "How do we fund learning?")
    asked(store, key_owner("someone-else").id, "Not theirs")

    refused = run("delete", "--user", "intranet", input="n\n")
    assert refused.exit_code == 1  # asked, and nothing deleted on no
    assert "Delete everything stored about intranet?" in refused.output
    result = run("delete", "--user", "intranet", "--yes")
    assert result.exit_code == 0, result.output
    assert "answers: 1 deleted" in result.stdout
    assert "conversations: 1 deleted" in result.stdout
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(AnswerRecord)) == 1  # theirs
    again = run("export", "--user", key.id)
    assert json.loads(again.stdout)["conversations"] == []


def test_unknown_user_is_a_clear_error(store):
    result = run("export", "--user", "nobody")
    assert result.exit_code == 2
    assert "no API key has the id or name 'nobody'" in result.output
    assert "slack:<user id>" in result.output
