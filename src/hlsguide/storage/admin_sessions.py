"""Console sessions, kept in the database so every worker knows them. The cookie carries a
random token; only its SHA-256 is stored (as for API keys, a random secret needs no stretching).
A session ends at its expiry, at sign-out, or when the key it was opened with is revoked."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from hlsguide.storage.api_keys import hash_key
from hlsguide.storage.models import AdminSession, ApiKey
from hlsguide.storage.store import Store


@dataclass(frozen=True)
class SignedIn:
    """Who a live session belongs to, and the CSRF token its forms must carry."""

    key_id: str
    key_name: str
    csrf_token: str
    expires_at: datetime


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def open_session(store: Store, key_id: str, lifetime: timedelta) -> str:
    """A new session for ``key_id``; returns its token (for the cookie, never stored)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.session() as session, session.begin():
        # Expired sessions go whenever a new one starts: no sweeper process is needed.
        session.execute(delete(AdminSession).where(AdminSession.expires_at < now))
        session.add(
            AdminSession(
                token_hash=hash_key(token),
                key_id=key_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + lifetime,
            )
        )
    return token


def find_session(store: Store, token: str) -> SignedIn | None:
    """The live session for ``token``: not expired, its key not revoked and still admin."""
    with store.session() as session:
        row = session.execute(
            select(AdminSession, ApiKey)
            .join(ApiKey, ApiKey.id == AdminSession.key_id)
            .where(AdminSession.token_hash == hash_key(token))
        ).first()
    if row is None:
        return None
    found, key = row
    expires = _utc(found.expires_at)
    if expires <= datetime.now(UTC) or key.revoked_at is not None or "admin" not in key.scopes:
        return None
    return SignedIn(key.id, key.name, found.csrf_token, expires)


def close_session(store: Store, token: str) -> None:
    """End the session (sign-out); an unknown token is fine."""
    with store.session() as session, session.begin():
        session.execute(delete(AdminSession).where(AdminSession.token_hash == hash_key(token)))
