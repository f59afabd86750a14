"""The vector-store contract: the same cases on embedded Chroma and on a Chroma server, both
opened through the factory the index builder and snapshot loader are given."""

from __future__ import annotations

import uuid

import pytest
from support.embedders import DIMENSION, HashEmbedder
from support.services import chroma_server

from hlsguide.config import Settings
from hlsguide.retrieval.service import RetrievalService
from hlsguide.retrieval.vector_store import VectorStoreFactory, chroma_stores
from hlsguide.types import Chunk, SearchFilters

EF_SEARCH = Settings().hnsw_ef_search
TEXTS = {
    "a": ("concept", "learning", "Learning cycles test a small change and reflect on it."),
    "b": ("case", "learning", "Plymouth ran learning cycles with its alliance partners."),
    "c": ("concept", "targets", "Outcome targets get gamed when workers chase the number."),
}


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    with chroma_server(tmp_path_factory.mktemp("chroma-contract")) as url:
        yield url


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.services)])
def stores(request) -> VectorStoreFactory:
    if request.param == "server":
        return chroma_stores(request.getfixturevalue("server_url"), EF_SEARCH)
    return chroma_stores(None, EF_SEARCH)


def chunks() -> list[Chunk]:
    return [
        Chunk(
            id=f"{doc}#0",
            document_id=doc,
            title=doc.upper(),
            kind=kind,
            text=text,
            source_path=f"{doc}.md",
            start=0,
            end=len(text),
            token_count=len(text.split()),
            content_hash=doc,
            topics=[topic],
        )
        for doc, (kind, topic, text) in TEXTS.items()
    ]


@pytest.fixture
def generation() -> str:
    return f"gen-{uuid.uuid4().hex}"


@pytest.fixture
def store(stores, tmp_path, generation):
    opened = stores(generation, tmp_path / generation)
    embedder = HashEmbedder()
    items = chunks()
    opened.add(items, embedder.embed_documents([c.text for c in items]))
    yield opened
    opened.drop()


def test_add_count_and_read_back(store):
    assert store.count() == 3
    vectors = store.embeddings(["a#0", "c#0", "missing#0"])
    assert set(vectors) == {"a#0", "c#0"}
    expected = HashEmbedder().embed_documents([TEXTS["a"][2]])[0]
    assert len(vectors["a#0"]) == DIMENSION
    assert vectors["a#0"] == pytest.approx(expected, abs=1e-6)


def test_query_returns_the_nearest_first_with_cosine_distances(store):
    query = HashEmbedder().embed_documents([TEXTS["c"][2]])[0]
    found = store.query(query, k=3)
    assert found[0][0] == "c#0"
    distances = [distance for _, distance in found]
    assert distances[0] == pytest.approx(0.0, abs=1e-5)
    assert distances == sorted(distances)
    assert all(0.0 <= d <= 2.0 for d in distances)
    assert len(store.query(query, k=10)) == 3  # k above the count is not an error


def test_filters_narrow_the_candidates(store):
    query = HashEmbedder().embed_documents(["learning cycles"])[0]
    by_kind = store.query(query, 3, SearchFilters(kinds=["case"]))
    assert [chunk_id for chunk_id, _ in by_kind] == ["b#0"]
    by_topic = store.query(query, 3, SearchFilters(topics=["targets"]))
    assert [chunk_id for chunk_id, _ in by_topic] == ["c#0"]
    by_document = store.query(query, 3, SearchFilters(document_ids=["a", "c"]))
    assert {chunk_id for chunk_id, _ in by_document} == {"a#0", "c#0"}


def test_a_reopened_generation_keeps_its_vectors(stores, store, tmp_path, generation):
    assert stores(generation, tmp_path / generation).count() == 3


def test_the_index_is_built_and_searched_through_the_given_factory(settings, stores):
    opened: list[str] = []

    def recording(generation, directory):
        opened.append(generation)
        return stores(generation, directory)

    service = RetrievalService(settings, HashEmbedder(), recording)
    report = service.build()
    assert report.generation is not None
    assert opened == [report.generation]
    hits = service.searcher().search("waiting-time targets gamed", k=2)
    assert opened == [report.generation, report.generation]  # the snapshot opened it too
    assert hits[0].dense_rank is not None
    assert service.snapshot().vectors.count() == len(service.snapshot().chunks)


def test_a_generation_built_with_another_ef_search_is_searched_with_the_configured_one(
    tmp_path,
):
    chroma_stores(None, 50)("g1", tmp_path / "g1")
    reopened = chroma_stores(None, EF_SEARCH)("g1", tmp_path / "g1")
    assert reopened._collection.configuration_json["hnsw"]["ef_search"] == EF_SEARCH
