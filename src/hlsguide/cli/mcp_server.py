"""``hlsguide mcp``: the guide as an MCP server on stdio, for AI assistants."""

from __future__ import annotations

from hlsguide.cli.common import errors


def mcp() -> None:
    """Serve the guide to an AI assistant over MCP (stdio): tools search_guidance and
    ask_guidance. The assistant's host starts this command; see the README for its config."""
    from hlsguide.bootstrap import build_services
    from hlsguide.channels.mcp_server import build_server

    services = build_services()
    if not services.retrieval.is_ready():
        # stderr, as stdout carries the protocol. The tools answer with the same reason.
        errors.print("[yellow]warning:[/] no index yet; run 'hlsguide index' first")
    build_server(services).run("stdio")
