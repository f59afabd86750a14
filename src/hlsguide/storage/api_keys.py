"""API keys with scopes. Keys are random 256-bit tokens, so a plain SHA-256 is a sound way to
store them (no password stretching is needed for secrets nobody chose)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from hlsguide.storage.models import ApiKey
from hlsguide.storage.store import Store

SCOPES = ("ask", "admin")
KEY_PREFIX = "hls_"
# "Last used" is for people deciding which keys to revoke: a minute's precision is plenty,
# and it spares the database a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(store: Store, name: str, scopes: list[str]) -> tuple[str, ApiKey]:
    """Create a key; returns (the key, shown only now, and its record)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {scopes}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(id=uuid.uuid4().hex[:12], name=name, key_hash=hash_key(key), scopes=scopes)
    with store.session() as session, session.begin():
        session.add(record)
    return key, record


def authenticate(store: Store, key: str) -> ApiKey | None:
    """The live key record for ``key``, or None (unknown or revoked)."""
    with store.session() as session:
        record = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if record is None or record.revoked_at is not None:
        return None
    now = datetime.now(UTC)
    used = record.last_used_at
    if used is None or used.replace(tzinfo=UTC) < now - LAST_USED_PRECISION:
        with store.session() as session, session.begin():
            session.execute(update(ApiKey).where(ApiKey.id == record.id).values(last_used_at=now))
    return record


def list_api_keys(store: Store) -> list[ApiKey]:
    with store.session() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all())


def revoke_api_key(store: Store, key_id: str) -> bool:
    """Revoke by id; False when no such live key exists."""
    with store.session() as session, session.begin():
        record = session.get(ApiKey, key_id)
        if record is None or record.revoked_at is not None:
            return False
        record.revoked_at = datetime.now(UTC)
        return True
