"""``hlsguide teams-manifest``: the Teams app package to upload, from the manifest template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hlsguide.cli.common import console, fail


def teams_manifest(
    app_id: Annotated[str, typer.Option(help="The bot's Microsoft App ID (a GUID).")],
    host: Annotated[str, typer.Option(help="Public DNS name serving /api/messages.")],
    out: Annotated[Path, typer.Option(help="Zip to write.")] = Path("hlsguide-teams.zip"),
    color_icon: Annotated[
        Path | None, typer.Option(help="192×192 PNG, full colour (default: a plain one).")
    ] = None,
    outline_icon: Annotated[
        Path | None,
        typer.Option(help="32×32 PNG, white on transparent (default: a plain one)."),
    ] = None,
) -> None:
    """Write the Teams app package (manifest.json, color.png, outline.png) for upload in
    Teams admin centre or "Upload a custom app"."""
    from hlsguide.channels.teams.manifest import ManifestError, build_package

    try:
        icons = [path.read_bytes() if path else None for path in (color_icon, outline_icon)]
        package = build_package(app_id, host, *icons)
    except OSError as exc:
        fail(f"cannot read icon: {exc}")
    except ManifestError as exc:
        fail(str(exc))
    out.write_bytes(package)
    console.print(f"wrote {out} ({len(package)} bytes)")
