"""Console sessions, kept in the database so every worker knows them. The cookie carries a
random token; only its SHA-256 is stored (as for API keys, a random secret needs no stretching).
A session ends at its expiry, at sign-out, or when the key it was opened with is revoked.
A session of a user named by the intranet's reverse proxy has no key: ``user`` names them."""

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

    key_id: str | None  # None for a user the proxy named
    name: str  # the key's name, or that user
    csrf_token: str
    expires_at: datetime
    user: str | None = None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def open_session(
    store: Store, key_id: str | None, lifetime: timedelta, user: str | None = None
) -> str:
    """A new session for an admin key, or (``key_id`` None) for a user the proxy named;
    returns its token (for the cookie, never stored)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.session() as session, session.begin():
        # Expired sessions go whenever a new one starts: no sweeper process is needed.
        session.execute(delete(AdminSession).where(AdminSession.expires_at < now))
        session.add(
            AdminSession(
                token_hash=hash_key(token),
                key_id=key_id,
                user=user,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + lifetime,
            )
        )
    return token


def find_session(store: Store, token: str) -> SignedIn | None:
    """The live session for ``token``: not expired; its key, if it has one, not revoked and
    still admin."""
    with store.session() as session:
        row = session.execute(
            select(AdminSession, ApiKey)
            .outerjoin(ApiKey, ApiKey.id == AdminSession.key_id)
            .where(AdminSession.token_hash == hash_key(token))
        ).first()
    if row is None:
        return None
    found, key = row
    expires = _utc(found.expires_at)
    if expires <= datetime.now(UTC):
        return None
    if key is None:
        if not found.user:
            return None
        return SignedIn(None, found.user, found.csrf_token, expires, found.user)
    if key.revoked_at is not None or "admin" not in key.scopes:
        return None
    return SignedIn(key.id, key.name, found.csrf_token, expires)


def close_session(store: Store, token: str) -> None:
    """End the session (sign-out); an unknown token is fine."""
    with store.session() as session, session.begin():
        session.execute(delete(AdminSession).where(AdminSession.token_hash == hash_key(token)))
