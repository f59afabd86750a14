"""The Teams app package: ``manifest.template.json`` filled in, plus its two icons, zipped as
Teams admin centre and "Upload a custom app" expect (the three files at the zip's root).

Icons (Teams' rules): ``color.png`` is 192×192 pixels, full colour; ``outline.png`` is 32×32,
white on a transparent background. Without icons of your own, plain ones in the template's
accent colour are drawn so the package installs; replace them with your organisation's.
"""

from __future__ import annotations

import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from importlib import resources

COLOR_SIZE = 192
OUTLINE_SIZE = 32
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Pixel = tuple[int, int, int, int]


class ManifestError(ValueError):
    """An app id, host or icon the package cannot use; the message says why."""


def render_manifest(app_id: str, host: str) -> dict:
    """The manifest for the bot ``app_id`` (the Microsoft App ID, a GUID) served at ``host``
    (a public DNS name, without scheme or path)."""
    try:
        app_id = str(uuid.UUID(app_id))
    except ValueError as exc:
        raise ManifestError(
            f"app id {app_id!r} is not a GUID (the bot's Microsoft App ID)"
        ) from exc
    host = host.strip().lower()
    if not _HOST.match(host):
        raise ManifestError(f"host {host!r} is not a DNS name like guide.example.gov.uk")
    template = resources.files(__package__).joinpath("manifest.template.json").read_text("utf-8")
    return json.loads(template.replace("{{APP_ID}}", app_id).replace("{{HOST}}", host))


def build_package(
    app_id: str, host: str, color_icon: bytes | None = None, outline_icon: bytes | None = None
) -> bytes:
    """The zip to upload to Teams."""
    manifest = render_manifest(app_id, host)
    red, green, blue = (int(manifest["accentColor"][i : i + 2], 16) for i in (1, 3, 5))
    color_icon = color_icon or _png(COLOR_SIZE, lambda x, y: (red, green, blue, 255))
    outline_icon = outline_icon or _png(OUTLINE_SIZE, _outline)
    _check_png(color_icon, COLOR_SIZE, "colour icon")
    _check_png(outline_icon, OUTLINE_SIZE, "outline icon")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        package.writestr(manifest["icons"]["color"], color_icon)
        package.writestr(manifest["icons"]["outline"], outline_icon)
    return buffer.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG image."""
    if data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ManifestError("not a PNG image")
    return struct.unpack(">II", data[16:24])


def _check_png(data: bytes, size: int, name: str) -> None:
    if png_size(data) != (size, size):
        raise ManifestError(f"the {name} must be {size}×{size} pixels, not {png_size(data)}")


def _outline(x: int, y: int) -> Pixel:
    """A white ring on transparent: the shape Teams shows in its app bar."""
    centre = (OUTLINE_SIZE - 1) / 2
    distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
    return (255, 255, 255, 255) if 9 <= distance <= 13 else (0, 0, 0, 0)


def _png(size: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        _PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
