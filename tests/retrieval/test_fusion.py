import pytest

from hlsguide.retrieval.fusion import cap_per_group, reciprocal_rank_fusion


def test_rrf_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([(["a", "b", "c"], 1.0), (["c", "b", "d"], 1.0)], k=60)
    # c (1st and 3rd) edges out b (2nd twice); a and d, seen once, trail in rank order.
    assert [item for item, _ in fused] == ["c", "b", "a", "d"]
    scores = dict(fused)
    assert scores["b"] == pytest.approx(2 / 62)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)


def test_weights_shift_the_order():
    dense, lexical = ["d1", "d2"], ["l1", "l2"]
    assert reciprocal_rank_fusion([(dense, 3.0), (lexical, 1.0)])[0][0] == "d1"
    assert reciprocal_rank_fusion([(dense, 1.0), (lexical, 3.0)])[0][0] == "l1"
    assert reciprocal_rank_fusion([(dense, 0.0), (lexical, 1.0)])[0][0] == "l1"


def test_diversity_cap_keeps_order():
    group = {"a1": "A", "a2": "A", "a3": "A", "b1": "B"}
    assert cap_per_group(["a1", "a2", "a3", "b1"], group, 2) == ["a1", "a2", "b1"]
