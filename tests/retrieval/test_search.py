"""Hybrid search on a real index: filters, fusion order, diversity, provenance."""

from pathlib import Path

import numpy as np
import pytest

from hlsguide.retrieval.evaluation import load_questions
from hlsguide.retrieval.fusion import reciprocal_rank_fusion
from hlsguide.retrieval.langchain import HybridRetriever
from hlsguide.retrieval.search import SearchMode, named_subjects, subject_of
from hlsguide.types import SearchFilters

TRAIN = Path(__file__).parents[2] / "eval" / "train"


@pytest.mark.parametrize("mode", list(SearchMode))
def test_each_mode_finds_the_obvious_document(built, mode):
    hits = built.searcher().search("waiting-time targets gamed by hospitals", k=3, mode=mode)
    assert hits[0].chunk.document_id == "target-gaming"


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (SearchFilters(kinds=["case"]), {"case-riverside"}),
        (SearchFilters(topics=["gaming", "homelessness"]), {"target-gaming", "case-riverside"}),
        (SearchFilters(principles=["human"]), {"running-reviews", "case-riverside"}),
        (SearchFilters(document_ids=["learning-loops"]), {"learning-loops"}),
        (SearchFilters(kinds=["concept"], principles=["learning"]), {"learning-loops"}),
    ],
)
@pytest.mark.parametrize("mode", list(SearchMode))
def test_filters_apply_to_every_mode(built, filters, allowed, mode):
    hits = built.searcher().search("learning targets homelessness reviews", 10, filters, mode)
    assert hits
    assert {h.chunk.document_id for h in hits} <= allowed


def test_hybrid_order_is_the_weighted_fusion_of_both_rankings(built):
    searcher = built.searcher()
    query = "blame-free review of a case"
    dense = [cid for cid, _ in searcher.dense_ranking(query, 40, None)]
    lexical = searcher.lexical_ranking(query, 40, None)
    expected = [cid for cid, _ in reciprocal_rank_fusion([(dense, 1.0), (lexical, 1.0)], k=60)]
    hits = searcher.search(query, k=50)
    got = [h.chunk.id for h in hits]
    capped = [cid for cid in expected if cid in got]
    assert got == capped
    for hit in hits:
        assert hit.dense_rank == (dense.index(hit.chunk.id) + 1 if hit.chunk.id in dense else None)


def test_diversity_cap_limits_passages_per_document(built):
    hits = built.searcher().search("learning", k=50)
    per_doc = {}
    for hit in hits:
        per_doc[hit.chunk.document_id] = per_doc.get(hit.chunk.document_id, 0) + 1
    assert max(per_doc.values()) <= built.settings.max_chunks_per_document


def test_hits_carry_provenance(built):
    hit = built.searcher().search("ratchet effect next year's target")[0]
    chunk = hit.chunk
    assert chunk.document_id == "target-gaming"
    assert chunk.heading_path == ["Ratchets and thresholds"]
    assert chunk.citations == ["fixture-targets-2006"]
    source = Path(chunk.source_path).read_text(encoding="utf-8")
    assert source[chunk.start : chunk.end] == chunk.text


def test_langchain_retriever(built):
    retriever = HybridRetriever(service=built, k=2)
    documents = retriever.invoke("alliance of providers sharing one budget")
    assert documents[0].metadata["document_id"] == "case-riverside"
    assert documents[0].metadata["heading_path"]
    assert documents[0].page_content in Path(documents[0].metadata["source_path"]).read_text()


def test_a_query_with_no_indexed_words_still_gets_dense_hits(built):
    assert built.searcher().search("the and of", k=2)
    assert built.searcher().search("the and of", k=2, mode=SearchMode.LEXICAL) == []


@pytest.mark.parametrize(
    ("title", "subject"),
    [
        ("Buurtzorg (Netherlands) - self-governing community nursing teams", ("buurtzorg",)),
        ("The Wigan Deal", ("wigan", "deal")),
        ("Leverage points (Meadows)", ("leverage", "points")),
        ("Failure demand", ("failure", "demand")),
    ],
)
def test_a_documents_subject_is_its_title_before_any_qualifier(title, subject):
    assert subject_of(title) == subject


def test_the_most_specific_subject_a_query_names_wins():
    subjects = {"loops": ("learning", "loops"), "learning": ("learning",), "x": ("targets",)}
    assert named_subjects("How do learning loops work?", subjects) == {"loops"}
    assert named_subjects("What is learning?", subjects) == {"learning"}
    assert named_subjects("Are targets and learning compatible?", subjects) == {"learning", "x"}
    assert named_subjects("Nothing named here", subjects) == set()


def test_hybrid_adds_the_passages_of_named_documents_as_a_third_ranking(built):
    searcher = built.searcher()
    query = "what do learning loops say about blame"
    assert searcher.named_documents(query) == {"learning-loops"}
    dense = [cid for cid, _ in searcher.dense_ranking(query, 40, None)]
    lexical = searcher.lexical_ranking(query, 40, None)
    first = reciprocal_rank_fusion([(dense, 1.0), (lexical, 1.0)], k=60)
    named = [cid for cid, _ in first if cid.startswith("learning-loops#")]
    weight = built.settings.subject_weight
    expected = reciprocal_rank_fusion([(dense, 1.0), (lexical, 1.0), (named, weight)], k=60)
    got = [h.chunk.id for h in searcher.search(query, k=50)]
    assert got == [cid for cid, _ in expected if cid in got]
    assert got[0].startswith("learning-loops#")


def test_filter_sets_are_built_once_per_request_not_per_chunk():
    filters = SearchFilters(kinds=["case"], topics=["gaming"], principles=["human"])
    matches = filters.matcher()
    held = [cell.cell_contents for cell in matches.__closure__ or ()]
    # The matcher closes over sets made when the request's filter was read: testing a chunk
    # is set membership, never a rebuild of the request's lists.
    assert frozenset({"case"}) in held
    assert frozenset({"gaming"}) in held
    assert all(not isinstance(value, list) for value in held)


def test_dense_search_finds_the_exact_nearest_passages_of_the_corpus(corpus_service):
    """Chroma's HNSW index is approximate: at its default ef_search a true neighbour went
    missing for about one question in sixteen, and a different one in each process. At the
    configured ef_search the top 40 are the exact top 40 by cosine for every question."""
    searcher = corpus_service.searcher()
    ids = [c.id for c in searcher.snapshot.chunks]
    stored = searcher.snapshot.vectors.embeddings(ids)
    vectors = np.asarray([stored[i] for i in ids])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    questions = [
        q.question
        for name in ("answers_a.yaml", "answers_b.yaml")
        for q in load_questions(TRAIN / name)
    ]
    embedded = corpus_service.embedder.embed_documents(questions)
    missed = []
    for question, vector in zip(questions, embedded, strict=True):
        exact = {ids[i] for i in np.argsort(-(vectors @ np.asarray(vector)))[:40]}
        found = {cid for cid, _ in searcher.dense_ranking(question, 40, None, vector)}
        if found != exact:
            missed.append(question)
    assert len(questions) > 100
    assert missed == []
