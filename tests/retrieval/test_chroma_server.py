"""Server mode: the index on a real `chroma run` on 127.0.0.1 (HLSGUIDE_CHROMA_URL), where
several API workers share one Chroma server instead of one process owning a directory."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hlsguide.retrieval.service import RetrievalService


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(chroma).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the chroma CLI (chromadb package) is missing")
        pytest.skip("the chroma CLI is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("chroma run did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


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
    assert {t.split("\n")[0] for t in embedder.texts} == {
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
