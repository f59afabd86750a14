"""The in-process rate limiter: a sliding window per bucket, and buckets evicted once idle."""

import time

from hlsguide.admission.limits import MemoryRateLimiter


def test_window_refuses_then_allows():
    limiter = MemoryRateLimiter()
    assert limiter.hit("a", 2, 60) is None
    assert limiter.hit("a", 2, 60) is None
    wait = limiter.hit("a", 2, 60)
    assert wait is not None
    assert 0 < wait <= 60
    assert limiter.hit("b", 2, 60) is None  # buckets are independent


def test_idle_buckets_are_evicted():
    limiter = MemoryRateLimiter(sweep_seconds=0)
    for n in range(1000):  # a caller with a new address each time
        limiter.hit(f"ip:{n}", 10, 0.05)
    time.sleep(0.1)
    limiter.hit("ip:last", 10, 60)
    assert len(limiter) == 1
    limiter.hit("ip:other", 10, 0.05)
    assert len(limiter) == 2  # a bucket inside its window stays
