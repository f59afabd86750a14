"""``hlsguide mcp`` started as a subprocess and driven through the official ``mcp`` client over
stdio, on the real corpus index: both tools, their provenance, follow-ups and tool errors."""

from __future__ import annotations

import json
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from hlsguide.config import Settings
from hlsguide.storage.models import AnswerRecord
from hlsguide.types import SearchFilters

# The server it starts loads the bundled model.
pytestmark = pytest.mark.model

# The console script installed next to the interpreter running the tests.
HLSGUIDE = Path(sys.executable).parent / "hlsguide"


@asynccontextmanager
async def guide_session(settings: Settings, workdir: Path):
    """A client session with a freshly started ``hlsguide mcp`` on ``settings``' index."""
    params = StdioServerParameters(
        command=str(HLSGUIDE),
        args=["mcp"],
        env={
            "HLSGUIDE_DATA_DIR": str(settings.data_dir),
            "HLSGUIDE_CORPUS_PATHS": json.dumps([str(p) for p in settings.corpus_paths]),
        },
        cwd=workdir,  # no project .env is read
    )
    with (workdir / "mcp-stderr.log").open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


async def test_search_guidance_returns_passages_with_provenance(corpus_service, tmp_path):
    async with guide_session(corpus_service.settings, tmp_path) as session:
        listed = await session.list_tools()
        tools = {tool.name: tool for tool in listed.tools}
        assert set(tools) == {"search_guidance", "ask_guidance"}
        assert tools["search_guidance"].input_schema["required"] == ["query"]
        assert tools["search_guidance"].annotations.read_only_hint is True

        result = await session.call_tool(
            "search_guidance", {"query": "how do learning cycles work", "k": 4}
        )
        assert result.is_error is False
        found = result.structured_content
        expected = corpus_service.searcher().search("how do learning cycles work", 4)
        assert [p["chunk_id"] for p in found["passages"]] == [h.chunk.id for h in expected]
        assert found["index_version"] == corpus_service.searcher().snapshot.generation
        for rank, (passage, hit) in enumerate(zip(found["passages"], expected, strict=True), 1):
            assert passage["rank"] == rank
            assert passage["text"] == hit.chunk.text
            assert passage["document_id"] == hit.chunk.document_id
            assert passage["location"].startswith(hit.chunk.source_path)
            assert f"characters {hit.chunk.start}-{hit.chunk.end}" in passage["location"]
        assert any(p["publications"] for p in found["passages"])
        assert all(pub["formatted"] for p in found["passages"] for pub in p["publications"])
        # The unstructured content carries the same data for hosts that read only text.
        assert json.loads(text_of(result))["passages"][0]["chunk_id"] == expected[0].chunk.id

        cases = await session.call_tool(
            "search_guidance", {"query": "learning cycles", "k": 5, "kind": "case"}
        )
        assert {p["kind"] for p in cases.structured_content["passages"]} == {"case"}
        both = await session.call_tool(
            "search_guidance", {"query": "learning cycles", "kind": ["case", "practice"]}
        )
        expected = corpus_service.searcher().search(
            "learning cycles", 5, SearchFilters(kinds=["case", "practice"])
        )
        assert [p["chunk_id"] for p in both.structured_content["passages"]] == [
            h.chunk.id for h in expected
        ]

        for arguments, message in [
            ({"query": "   "}, "query is empty"),
            ({"query": ""}, "at least 1 character"),
            ({"query": "learning", "k": 0}, "greater than or equal to 1"),
            ({"query": "learning", "k": 99}, "less than or equal to 20"),
            ({"query": "learning", "kind": "poem"}, "'concept', 'practice', 'case'"),
            ({"k": 3}, "query\n  Field required"),
        ]:
            failed = await session.call_tool("search_guidance", arguments)
            assert failed.is_error is True, arguments
            assert message in text_of(failed), (arguments, text_of(failed))


async def test_ask_guidance_answers_with_citations_and_follow_ups(answers, tmp_path):
    question = "How can we commission without outcome targets?"
    async with guide_session(answers.settings, tmp_path) as session:
        result = await session.call_tool("ask_guidance", {"question": question})
        assert result.is_error is False
        asked = result.structured_content
        # The same answer core as every channel: the in-process answer is the same answer.
        local = answers.ask(question)
        assert asked["answer"] == local.answer
        assert [c["chunk_id"] for c in asked["citations"]] == [c.chunk_id for c in local.citations]
        assert "### Sources" in asked["answer"]
        assert asked["refused"] is False
        assert asked["lens"]["flags"] == [f.model_dump() for f in local.lens.flags]
        text = text_of(result)
        assert text.startswith(asked["answer"])
        assert f"conversation_id: {asked['conversation_id']}" in text

        follow = await session.call_tool(
            "ask_guidance",
            {"question": "Who has tried it?", "conversation_id": asked["conversation_id"]},
        )
        assert follow.is_error is False
        assert follow.structured_content["conversation_id"] == asked["conversation_id"]
        assert follow.structured_content["standalone_query"] == f"{question} Who has tried it?"

        refused = await session.call_tool("ask_guidance", {"question": "Best lasagne recipe?"})
        assert refused.structured_content["refused"] is True
        assert refused.structured_content["citations"] == []

        for arguments, message in [
            ({"question": "   "}, "the question is empty"),
            ({"question": "abc\x00def"}, "binary data (NUL bytes)"),
            ({"question": "word " * 500}, "tokens long; the limit is 300"),
            ({"question": "What is HLS?", "conversation_id": "nope"}, "no conversation"),
            ({}, "question\n  Field required"),
        ]:
            failed = await session.call_tool("ask_guidance", arguments)
            assert failed.is_error is True, arguments
            assert message in text_of(failed), (arguments, text_of(failed))

    # Logged in the shared store, as answers of this channel.
    with answers.store.session() as db:
        record = db.get(AnswerRecord, asked["answer_id"])
    assert record.channel == "mcp"
    assert record.conversation_id == asked["conversation_id"]


async def test_without_an_index_the_tools_say_so(tmp_path):
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", corpus_paths=[tmp_path / "corpus"]
    )
    async with guide_session(settings, tmp_path) as session:
        search = await session.call_tool("search_guidance", {"query": "learning cycles"})
        ask = await session.call_tool("ask_guidance", {"question": "What is HLS?"})
    for result in (search, ask):
        assert result.is_error is True
        assert "the index has not been built yet; run 'hlsguide index'" in text_of(result)
    assert "no index yet" in (tmp_path / "mcp-stderr.log").read_text()
