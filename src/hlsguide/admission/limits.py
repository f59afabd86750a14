"""Rate limiting and admission control: bounded work, precise refusals."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol


class RateLimiter(Protocol):
    """Counts hits per bucket in a sliding window."""

    def hit(self, bucket: str, limit: int, window_seconds: float) -> float | None:
        """Record a hit; None if allowed, else seconds until the next hit would be."""
        ...


class MemoryRateLimiter:
    """A sliding-window limiter for one process. Buckets whose window has passed are evicted,
    so callers that come once (a new IP each request) do not grow it without bound."""

    def __init__(self, sweep_seconds: float = 60.0) -> None:
        # bucket -> (its window, hit times inside it)
        self._hits: dict[str, tuple[float, deque[float]]] = {}
        self._lock = threading.Lock()
        self._sweep_seconds = sweep_seconds
        self._swept = time.monotonic()

    def __len__(self) -> int:
        return len(self._hits)

    def _sweep(self, now: float) -> None:
        self._hits = {
            bucket: entry
            for bucket, entry in self._hits.items()
            if entry[1] and entry[1][-1] > now - entry[0]
        }
        self._swept = now

    def hit(self, bucket: str, limit: int, window_seconds: float) -> float | None:
        now = time.monotonic()
        with self._lock:
            if now - self._swept >= self._sweep_seconds:
                self._sweep(now)
            _, hits = self._hits.setdefault(bucket, (window_seconds, deque()))
            while hits and hits[0] <= now - window_seconds:
                hits.popleft()
            if len(hits) >= limit:
                return hits[0] + window_seconds - now
            hits.append(now)
            return None


class OverloadedError(RuntimeError):
    """Every answer slot is busy and the waiting queue is full."""


class AnswerGate:
    """At most ``slots`` answers computed at once and ``queue`` waiting; the rest refused."""

    def __init__(self, slots: int, queue: int) -> None:
        self._semaphore = asyncio.Semaphore(slots)
        self._slots = slots
        self._queue = queue
        self._waiting = 0

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold an answer slot for the duration of the block."""
        if self._semaphore.locked() and self._waiting >= self._queue:
            raise OverloadedError(
                f"all {self._slots} answer slots are busy and {self._waiting} requests are waiting"
            )
        self._waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._semaphore.release()
