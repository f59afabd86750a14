"""``hlsguide mcp``: the guide as an MCP server on stdio, for AI assistants."""

from __future__ import annotations

from hlsguide.cli.common import errors
from hlsguide.config import Settings
from hlsguide.retrieval.service import RetrievalService


def mcp() -> None:
    """Serve the guide to an AI assistant over MCP (stdio): tools search_guidance and
    ask_guidance. The assistant's host starts this command; see the README for its config."""
    from hlsguide.channels.mcp_server import build_server

    settings = Settings()
    if not RetrievalService(settings).is_ready():
        # stderr, as stdout carries the protocol. The tools answer with the same reason.
        errors.print("[yellow]warning:[/] no index yet; run 'hlsguide index' first")
    build_server(settings).run("stdio")
