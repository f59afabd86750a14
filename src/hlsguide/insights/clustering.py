"""Greedy similarity clustering of questions (embeddings, one threshold, no tuning of k)."""

from __future__ import annotations

import numpy as np


def greedy_clusters(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Indexes of ``vectors`` (unit length) grouped in one pass, in the order given: each joins
    the cluster whose centroid it is most similar to when that similarity is at least
    ``threshold``, else starts a cluster. Give the most frequent items first: they seed."""
    clusters: list[list[int]] = []
    sums: list[np.ndarray] = []
    for i, vector in enumerate(vectors):
        best, best_similarity = -1, threshold
        for c, total in enumerate(sums):
            similarity = float(total @ vector) / float(np.linalg.norm(total))
            if similarity >= best_similarity:
                best, best_similarity = c, similarity
        if best < 0:
            clusters.append([i])
            sums.append(np.array(vector, dtype=float))
        else:
            clusters[best].append(i)
            sums[best] = sums[best] + vector
    return clusters
