"""A rate limiter in the database, so that every API worker counts against one budget."""

from __future__ import annotations

import time

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hlsguide.storage.models import RateLimitWindow
from hlsguide.storage.store import Store


class DatabaseRateLimiter:
    """Fixed windows: one row per bucket and window, incremented atomically by an upsert."""

    def __init__(self, store: Store) -> None:
        self.store = store
        dialect = store.engine.dialect.name
        self._insert = pg_insert if dialect == "postgresql" else sqlite_insert

    def hit(self, bucket: str, limit: int, window_seconds: float) -> float | None:
        now = time.time()
        window = int(now // window_seconds)
        bucket = self.store.pseudonym(bucket)  # buckets name IP addresses and chat users
        insert = self._insert(RateLimitWindow).values(bucket=bucket, window_start=window, hits=1)
        statement = insert.on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"hits": RateLimitWindow.hits + 1},
        ).returning(RateLimitWindow.hits)
        with self.store.session() as session, session.begin():
            hits = session.execute(statement).scalar_one()
            if hits == 1:  # first hit of a new window: forget the bucket's old windows
                session.execute(
                    delete(RateLimitWindow).where(
                        RateLimitWindow.bucket == bucket, RateLimitWindow.window_start < window
                    )
                )
        if hits > limit:
            return (window + 1) * window_seconds - now
        return None
