"""The guide as an MCP server (the official ``mcp`` package, stdio transport), so AI assistants
can call it as a plugin: ``search_guidance`` finds passages with their provenance,
``ask_guidance`` answers through the one answer core, with citations.

stdout carries the protocol, so nothing else may print there: logs go to stderr."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from hlsguide import __version__
from hlsguide.answer.citations import location
from hlsguide.answer.questions import QuestionError
from hlsguide.bootstrap import Services
from hlsguide.retrieval.service import IndexNotReadyError
from hlsguide.storage import ConversationNotFoundError
from hlsguide.types import Citation, Hit, Lens, Publication, SearchFilters

log = logging.getLogger(__name__)

Kind = Literal["concept", "practice", "case", "source", "document"]
MAX_K = 20

INSTRUCTIONS = (
    "hlsguide answers questions about commissioning and funding public services with the Human "
    "Learning Systems approach (human, learning, systems; complexity; learning cycles; "
    "relational commissioning) and its case examples. Use ask_guidance for a cited answer and "
    "pass its conversation_id back for a follow-up; use search_guidance for the passages "
    "themselves. Quote the citations when you use an answer."
)


class Passage(BaseModel):
    """One passage found, with where it comes from."""

    rank: int
    chunk_id: str
    document_id: str
    title: str
    kind: str
    heading: str
    text: str
    location: str = Field(description="Source file, heading or page, character offsets.")
    score: float = Field(description="Fused rank score (higher is better).")
    similarity: float | None = Field(description="Cosine similarity to the query.")
    topics: list[str]
    principles: list[str]
    publications: list[Publication]


class SearchResult(BaseModel):
    query: str
    index_version: str
    passages: list[Passage]


class AskResult(BaseModel):
    """An answer as data: the Markdown (with [n] markers and a Sources section) and its parts."""

    answer: str
    answer_id: str
    question: str
    standalone_query: str = Field(
        description="The question as answered: a follow-up is made standalone."
    )
    conversation_id: str | None = Field(
        description="Pass back as conversation_id to ask a follow-up."
    )
    citations: list[Citation]
    refused: bool
    fallback: str | None
    mode: str
    lens: Lens


class GuideTools:
    """The tools' work, apart from the MCP wiring. The model loads on first use (it takes
    seconds, and an MCP host expects the handshake at once), once, under a lock."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()

    def _loaded(self) -> Services:
        with self._lock:
            self.services.retrieval.embedder  # noqa: B018 - load the model once, under the lock
        return self.services

    def warm_up(self) -> None:
        """Load the model, the index and the lens before the first call needs them."""
        try:
            services = self._loaded()
            services.retrieval.searcher()
            services.answers.lens  # noqa: B018 - embeds the lens prototypes
        except Exception:
            # The first tool call meets the same failure and reports it to the assistant.
            log.warning("warm-up failed", exc_info=True)

    def search(self, query: str, k: int, kinds: Sequence[str]) -> SearchResult:
        if not query.strip():
            raise ToolError("query is empty; give a few words about what to find")
        try:
            searcher = self._loaded().retrieval.searcher()
        except IndexNotReadyError as exc:
            raise ToolError(str(exc)) from exc
        hits = searcher.search(query, k, SearchFilters(kinds=list(kinds)))
        return SearchResult(
            query=query,
            index_version=searcher.snapshot.generation,
            passages=[self._passage(n, hit) for n, hit in enumerate(hits, start=1)],
        )

    def _passage(self, rank: int, hit: Hit) -> Passage:
        chunk = hit.chunk
        keys = chunk.citations or chunk.references
        bibliography = self.services.bibliography
        return Passage(
            rank=rank,
            chunk_id=chunk.id,
            document_id=chunk.document_id,
            title=chunk.title,
            kind=chunk.kind,
            heading=chunk.heading,
            text=chunk.text,
            location=location(hit),
            score=round(hit.score, 6),
            similarity=None if hit.dense_similarity is None else round(hit.dense_similarity, 4),
            topics=chunk.topics,
            principles=chunk.principles,
            publications=[p for key in keys if (p := bibliography.publication(key))],
        )

    def ask(self, question: str, conversation_id: str | None) -> AskResult:
        try:
            answer = self._loaded().answers.ask(
                question, conversation_id=conversation_id, channel="mcp"
            )
        except (QuestionError, ConversationNotFoundError, IndexNotReadyError) as exc:
            raise ToolError(str(exc)) from exc
        return AskResult.model_validate(answer.model_dump())


def build_server(services: Services) -> MCPServer:
    """The MCP server with its two tools; ``run("stdio")`` serves it."""
    tools = GuideTools(services)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[dict]:
        threading.Thread(target=tools.warm_up, name="hlsguide-warm-up", daemon=True).start()
        yield {}

    server = MCPServer(
        name="hlsguide",
        title="HLS guide",
        description="Cited, complexity-aware guidance for commissioners (Human Learning Systems).",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
        lifespan=lifespan,
    )
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(
        name="search_guidance",
        title="Search the HLS guidance",
        description="Find passages of the guide (concepts, practices, cases, source notes) "
        "relevant to a query, best first, each with its document, heading, location and the "
        "publications it rests on.",
        annotations=read_only,
    )
    def search_guidance(
        query: Annotated[
            str, Field(min_length=1, max_length=2000, description="What to look for.")
        ],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="Passages to return.")] = 5,
        kind: Annotated[
            Kind | list[Kind] | None,
            Field(description="Only passages of this kind (or these kinds)."),
        ] = None,
    ) -> SearchResult:
        kinds = [kind] if isinstance(kind, str) else list(kind or [])
        return tools.search(query, k, kinds)

    @server.tool(
        name="ask_guidance",
        title="Ask the HLS guide",
        description="Answer a question about commissioning or funding public services with the "
        "Human Learning Systems approach. Returns Markdown whose [n] markers resolve to the "
        "listed citations; out-of-scope questions are declined. Pass conversation_id from an "
        "earlier answer to ask a follow-up.",
        annotations=ToolAnnotations(read_only_hint=False, open_world_hint=False),
    )
    def ask_guidance(
        question: Annotated[
            str, Field(min_length=1, max_length=20_000, description="The question.")
        ],
        conversation_id: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=64,
                description="The conversation_id of an earlier answer, for a follow-up.",
            ),
        ] = None,
    ) -> Annotated[CallToolResult, AskResult]:
        result = tools.ask(question, conversation_id)
        # The model reads the Markdown; a host that wants data reads the structured content.
        text = f"{result.answer}\n\n(conversation_id: {result.conversation_id})"
        return CallToolResult(
            content=[TextContent(type="text", text=text)],
            structured_content=result.model_dump(mode="json"),
        )

    return server
