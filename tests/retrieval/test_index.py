"""Index runs on real Chroma (temp dirs) with the real bundled model."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hlsguide.retrieval.index import IndexBuilder, IndexLockedError, current_generation, writer_lock
from hlsguide.retrieval.service import RetrievalService


def chunk_ids(service: RetrievalService) -> set[str]:
    return {c.id for c in service.searcher().snapshot.chunks}


def test_first_build_indexes_every_document(built, embedder):
    snapshot = built.searcher().snapshot
    assert set(snapshot.documents) == {
        "learning-loops",
        "target-gaming",
        "running-reviews",
        "case-riverside",
    }
    assert snapshot.vectors.count() == len(snapshot.chunks)
    # Chunks, then every unit's text and every authored prompt: each embedded exactly once.
    units = snapshot.units.units
    prompts = [u for u in units if u.prompt]
    assert units
    assert len(embedder.texts) == len(snapshot.chunks) + len(units) + len(prompts)


def test_incremental_run_embeds_only_what_changed(built, embedder, corpus_dir):
    embedder.texts.clear()
    report = built.build()
    assert not report.changed
    assert embedder.texts == []

    changed = corpus_dir / "concepts" / "target-gaming.md"
    changed.write_text(changed.read_text().replace("clock boundary", "four-hour boundary"))
    (corpus_dir / "practices" / "running-reviews.md").unlink()
    (corpus_dir / "extra.txt").write_text("Pooled budgets let partners share risk and money.")
    report = built.build()

    assert report.updated == ["target-gaming"]
    assert report.removed == ["running-reviews"]
    assert report.added == ["doc-extra"]
    assert sorted(report.unchanged) == ["case-riverside", "learning-loops"]
    chunk_texts = [t for t in embedder.texts if "\n\n" in t]
    embedded_docs = {text.split("\n")[0].split(" > ")[0] for text in chunk_texts}
    assert embedded_docs == {"Targets and gaming", "extra"}
    snapshot = built.searcher().snapshot
    # Units of unchanged documents carry over with their vectors; only changed ones are embedded.
    units_by_doc = {u.document_id for u in snapshot.units.units}
    assert units_by_doc == {"case-riverside", "learning-loops", "target-gaming", "doc-extra"}
    assert len(embedder.texts) - len(chunk_texts) == len(
        [u for u in snapshot.units.units if u.document_id in {"target-gaming", "doc-extra"}]
    )
    assert "running-reviews" not in snapshot.documents
    assert snapshot.vectors.count() == len(snapshot.chunks)
    assert any("four-hour" in c.text for c in snapshot.chunks)


def test_changing_chunk_settings_re_embeds_everything(built, embedder, settings):
    embedder.texts.clear()
    settings.chunk_tokens = 80
    report = RetrievalService(settings, embedder).build()
    assert sorted(report.updated) == sorted(built.searcher().snapshot.documents)
    assert embedder.texts


class ExplodingEmbedder:
    """The real model, failing after its first batch: a run that dies part-way."""

    def __init__(self, inner):
        self.inner, self.name, self.calls = inner, inner.name, 0

    def embed_documents(self, texts):
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("power cut")
        return self.inner.embed_documents(texts)


def test_a_run_failing_part_way_leaves_the_old_index_whole(
    built, settings, corpus_dir, real_embedder
):
    before = built.searcher().snapshot.generation
    old_ids = chunk_ids(built)
    for i in range(30):
        (corpus_dir / f"new-{i}.txt").write_text(f"Note {i} about commissioning and trust. " * 40)
    settings.embedding_batch_size = 1  # many small batches, so the failure lands mid-run
    with pytest.raises(RuntimeError, match="power cut"):
        IndexBuilder(settings, ExplodingEmbedder(real_embedder)).run()
    assert current_generation(settings.index_dir) == before
    assert chunk_ids(built) == old_ids
    assert built.searcher().search("gaming targets")[0].chunk.document_id == "target-gaming"
    # the next run clears the half-built generation and completes
    report = RetrievalService(settings, real_embedder).build()
    assert len(report.added) == 30
    assert len(list(settings.index_dir.glob("gen-*"))) == 2  # live + previous, no leftovers


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from hlsguide.config import Settings
    from hlsguide.retrieval.service import RetrievalService
    settings = Settings(_env_file=None, data_dir=Path(sys.argv[1]),
                        corpus_paths=[Path(sys.argv[2])], chunk_tokens=64,
                        chunk_overlap_tokens=16, embedding_batch_size=1)
    def progress(stage, done, total):
        print(f"{stage} {done}/{total}", flush=True)
    RetrievalService(settings).build(progress=progress)
    """
)


def test_kill_9_during_indexing_leaves_the_old_index_queryable(built, settings, corpus_dir):
    before = built.searcher().snapshot.generation
    old_ids = chunk_ids(built)
    for i in range(60):
        (corpus_dir / f"bulk-{i}.txt").write_text(f"Bulk note {i} on place-based working. " * 50)
    process = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(settings.data_dir), str(corpus_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the first embedded batch: the run is mid-way
    assert line.startswith("embed "), line
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert current_generation(settings.index_dir) == before
    fresh = RetrievalService(settings, built.embedder)
    assert chunk_ids(fresh) == old_ids
    assert fresh.searcher().search("learning loop")[0].chunk.document_id == "learning-loops"
    # the kernel released the dead writer's lock: a new run proceeds
    with writer_lock(settings.index_dir):
        pass


def test_a_second_writer_gets_a_clear_error(built, settings):
    with writer_lock(settings.index_dir), pytest.raises(IndexLockedError, match="pid"):
        built.build()


def test_bad_inputs_are_reported_and_the_rest_indexed(built, corpus_dir, embedder):
    before = chunk_ids(built)
    (corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.7 garbage")
    (corpus_dir / "empty.md").write_bytes(b"")
    (corpus_dir / "data.bin").write_bytes(b"\x00\x01")
    (corpus_dir / "latin.txt").write_bytes("na\u00efve".encode("latin-1"))
    good = corpus_dir / "concepts" / "learning-loops.md"
    good.write_text(
        good.read_text().replace("topics: [learning-cycles, experiments]", "topics: []")
    )
    (corpus_dir / "fine.txt").write_text("Trust-based funding gives grantees flexible money.")
    report = built.build()
    problems = {Path(f.path).name: f.problem for f in report.failed}
    assert set(problems) == {"broken.pdf", "empty.md", "data.bin", "latin.txt", "learning-loops.md"}
    assert "1 to 6" in problems["learning-loops.md"]
    assert report.added == ["doc-fine"]
    # the document whose new version is broken keeps its last good version
    after = chunk_ids(built)
    assert before <= after
    assert "learning-loops" in built.searcher().snapshot.documents


def test_a_run_with_only_bad_inputs_leaves_the_index_untouched(built, settings, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.pdf").write_bytes(b"nope")
    before = current_generation(settings.index_dir)
    report = built.build([bad])
    assert report.failed
    assert report.generation is None
    assert current_generation(settings.index_dir) == before


def test_generation_names_sort_by_time(built, settings, corpus_dir):
    first = current_generation(settings.index_dir)
    time.sleep(0.01)
    (corpus_dir / "more.txt").write_text("Listening at scale means hearing many voices.")
    built.build()
    assert current_generation(settings.index_dir) > first
