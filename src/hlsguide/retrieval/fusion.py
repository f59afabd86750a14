"""Reciprocal rank fusion and the per-document diversity cap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Sequence[str], float]], k: int = 60
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum of weight / (k + rank), rank counted from 1.

    Ties keep the order in which ids were first seen, so the result is deterministic.
    """
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        if weight <= 0:
            continue
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def cap_per_group(items: Iterable[str], group_of: dict[str, str], cap: int) -> list[str]:
    """Keep items in order, at most ``cap`` from any one group (document)."""
    taken: Counter[str] = Counter()
    kept = []
    for item in items:
        group = group_of[item]
        if taken[group] < cap:
            taken[group] += 1
            kept.append(item)
    return kept
