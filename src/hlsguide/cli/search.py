"""``hlsguide search`` and ``hlsguide sources``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from hlsguide.cli.common import console, fail, services
from hlsguide.cli.remote import SERVER_HELP, post, server_and_key
from hlsguide.retrieval.modes import SearchMode

if TYPE_CHECKING:
    from hlsguide.types import Hit, SearchFilters


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Passages to return.")] = 5,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only these kinds.")] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Only these topics.")] = None,
    mode: Annotated[SearchMode, typer.Option("--mode")] = SearchMode.HYBRID,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    server: Annotated[str | None, typer.Option("--server", help=SERVER_HELP)] = None,
) -> None:
    """Search the index (hybrid dense + BM25 by default)."""
    if not query.strip():
        fail("the query is empty")
    from hlsguide.types import Hit, SearchFilters

    filters = SearchFilters(kinds=kind or [], topics=topic or [])
    url, key = server_and_key(server)
    if url:
        body = {"query": query, "k": k, "filters": filters.model_dump(), "mode": mode.value}
        hits = [Hit.model_validate(hit) for hit in post(url, "/v1/search", body, key)["hits"]]
    else:
        hits = _search_here(query, k, filters, mode)
    if as_json:
        console.print_json(json.dumps([hit.model_dump() for hit in hits]))
        return
    from rich.table import Table

    table = Table("#", "document", "heading", "score", "passage")
    for n, hit in enumerate(hits, start=1):
        table.add_row(
            str(n),
            hit.chunk.document_id,
            hit.chunk.heading,
            f"{hit.score:.4f}",
            hit.chunk.text[:160] + ("..." if len(hit.chunk.text) > 160 else ""),
        )
    console.print(table)


def _search_here(query: str, k: int, filters: SearchFilters, mode: SearchMode) -> list[Hit]:
    """Hits found in this process (the model loads here)."""
    from hlsguide.retrieval.service import IndexNotReadyError

    try:
        return services().retrieval.searcher().search(query, k, filters, mode)
    except IndexNotReadyError as exc:
        fail(str(exc))


def sources(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the indexed documents."""
    from hlsguide.retrieval.service import IndexNotReadyError

    try:
        documents = services().retrieval.snapshot().documents
    except IndexNotReadyError as exc:
        fail(str(exc))
    if as_json:
        console.print_json(json.dumps(documents))
        return
    from rich.table import Table

    table = Table("id", "kind", "title", "chunks")
    for doc_id, doc in documents.items():
        table.add_row(doc_id, doc["kind"], doc["title"], str(len(doc["chunk_ids"])))
    console.print(table)
