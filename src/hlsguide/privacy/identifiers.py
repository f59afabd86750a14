"""People's identifiers (IP addresses, Slack and Teams user ids, DM channel ids) are stored only
as HMAC-SHA256 pseudonyms under a server secret: equal ids still match, but a leaked database
names nobody, and unlike a bare SHA-256 the ids cannot be recovered by hashing candidates
without the secret."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from hlsguide.config import Settings

SECRET_FILE = "identifier.key"


class Pseudonymizer:
    """Maps an identifier to its HMAC-SHA256 (hex) under one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def __call__(self, value: str) -> str:
        return hmac.new(self._secret, value.encode(), hashlib.sha256).hexdigest()


def identifier_secret(settings: Settings) -> bytes:
    """HLSGUIDE_IDENTIFIER_SECRET, or a random secret created once in the data directory
    (workers that share the directory share it; it is never overwritten)."""
    if settings.identifier_secret is not None:
        return settings.identifier_secret.get_secret_value().encode()
    path = settings.data_dir / SECRET_FILE
    if not path.exists():
        _create_once(path, secrets.token_hex(32))
    return path.read_text().strip().encode()


def _create_once(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it exists, atomically: a racing worker's link fails
    and it reads the winner's secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unique per caller (threads of one worker share a pid), and never an existing file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
