"""Whose a conversation, a vote or an FAQ job is: the identity stored with it.

A conversation belongs to the caller that started it, and only that caller may read, continue
or delete it (anyone else is told it does not exist). The stored forms:

- ``key:<key id>``: a caller with an API key (key ids are random, they name nobody);
- ``slack:<hmac>``, ``teams:<hmac>``: a chat user, as an HMAC of the platform's user id;
- ``secret:<sha256>``: an anonymous caller (``HLSGUIDE_ASK_OPEN``) holding the random secret
  handed back with its conversation; only the digest is stored;
- ``local``: this machine's own commands (the CLI, the MCP server over stdio, FAQ jobs), which
  hold the database anyway.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

# Room for a prefix and a 64-character hex digest.
OWNER_MAX_CHARS = 128
SECRET_MIN_CHARS = 32
CHAT_CHANNELS = ("slack", "teams")


@dataclass(frozen=True)
class Owner:
    """An identity as stored (``id``), and for an anonymous caller the conversation secret it
    holds (``secret``), returned to it with each answer."""

    id: str
    secret: str | None = None


LOCAL = Owner("local")


def key_owner(key_id: str) -> Owner:
    """The caller presenting API key ``key_id``."""
    return Owner(f"key:{key_id}")


def chat_owner(channel: str, user_id: str, pseudonym: Callable[[str], str]) -> Owner:
    """A Slack or Teams user (their platform user id), kept as an HMAC under ``pseudonym``."""
    return Owner(f"{channel}:{pseudonym(f'{channel}:{user_id}')}")


def secret_owner(secret: str | None = None) -> Owner:
    """An anonymous caller holding ``secret``; a new random secret when it presents none."""
    secret = secret or secrets.token_urlsafe(SECRET_MIN_CHARS)
    return Owner(f"secret:{hashlib.sha256(secret.encode()).hexdigest()}", secret)
