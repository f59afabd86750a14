"""``hlsguide serve``: run the API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default HLSGUIDE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default HLSGUIDE_PORT).")] = None,
) -> None:
    """Serve the API; on first start with no index, the index is built from the corpus."""
    import uvicorn

    from hlsguide.api.app import create_app
    from hlsguide.config import Settings
    from hlsguide.observability.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings), host=host or settings.host, port=port or settings.port, workers=1
    )
