"""Admission as a chat channel (Slack, Teams) applies it: the API's answer gate, and the rate
limit counted per chat user, since every request comes from the platform's addresses and the
client IP says nothing."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass

from hlsguide.admission.limits import AnswerGate, RateLimiter


@dataclass(frozen=True)
class ChatAdmission:
    """The gate and limiter a chat channel shares with the API; either may be absent."""

    gate: AnswerGate | None = None
    limiter: RateLimiter | None = None
    per_minute: int = 60

    def answer_slot(self) -> AbstractAsyncContextManager[None]:
        """An answer slot of the shared gate (none to wait for without a gate)."""
        return self.gate.admit() if self.gate else nullcontext()

    async def over_rate(self, bucket: str) -> bool:
        """Count a question for ``bucket``; True when it passes ``per_minute`` a minute."""
        if self.limiter is None:
            return False
        # The limiter may be the database one (shared by workers): not on the event loop.
        wait = await asyncio.to_thread(self.limiter.hit, bucket, self.per_minute, 60.0)
        return wait is not None
