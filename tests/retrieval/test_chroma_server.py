"""Server mode: the index on a real `chroma run` on 127.0.0.1 (HLSGUIDE_CHROMA_URL), where
several API workers share one Chroma server instead of one process owning a directory."""

import pytest
from support.services import chroma_server

from hlsguide.retrieval.service import RetrievalService


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


def test_index_and_search_on_a_chroma_server(chroma_url, settings, embedder, corpus_dir):
    settings.chroma_url = chroma_url
    service = RetrievalService(settings, embedder)
    first = service.build()
    assert first.generation is not None
    assert not (settings.index_dir / first.generation / "chroma").exists()  # vectors on the server
    hits = service.searcher().search("waiting-time targets gamed", k=2)
    assert hits[0].chunk.document_id == "target-gaming"
    assert hits[0].dense_rank is not None

    # incremental on the server: one changed document re-embedded, the rest carried over
    embedder.texts.clear()
    path = corpus_dir / "concepts" / "learning-loops.md"
    path.write_text(path.read_text().replace("small change", "small, safe change"))
    second = service.build()
    assert second.updated == ["learning-loops"]
    assert {t.split("\n")[0] for t in embedder.texts if "\n\n" in t} == {
        "Learning loops > What a learning loop is",
        "Learning loops > Why managers care",
    }
    fresh = RetrievalService(settings, embedder)  # another worker, same server
    snapshot = fresh.searcher().snapshot
    assert snapshot.generation == second.generation
    assert snapshot.vectors.count() == len(snapshot.chunks)
    top = fresh.searcher().search("learning loop rhythm: a small, safe change", k=1)[0]
    assert top.chunk.document_id == "learning-loops"
    assert "small, safe change" in top.chunk.text

    # superseded generations' collections are dropped once two newer ones exist
    (corpus_dir / "extra.txt").write_text("Alliances share one budget across partners.")
    service.build()
    import chromadb

    host, port = chroma_url.removeprefix("http://").split(":")
    names = {c.name for c in chromadb.HttpClient(host=host, port=int(port)).list_collections()}
    assert f"hlsguide-{first.generation}" not in names
    assert f"hlsguide-{second.generation}" in names
