"""Fault benchmark: kill -9 an index run at a random moment, N cycles. After each kill the index
must be whole, holding either the old or the new content of every changed document and never
a mix, and must answer a question.

Usage: python bench/fault.py [--cycles 20] [--documents 24]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hlsguide.answer.service import AnswerService
from hlsguide.config import Settings
from hlsguide.retrieval.embeddings import SentenceTransformerEmbedder
from hlsguide.retrieval.index import current_generation
from hlsguide.retrieval.service import RetrievalService

ROOT = Path(__file__).resolve().parents[1]
CHANGED = 4  # documents rewritten before each run
HLSGUIDE = str(Path(sys.executable).parent / "hlsguide")


def marker(cycle: int) -> str:
    return f"Revision marker {cycle:04d}."


def check(settings: Settings, embedder, changed: list[Path], cycle: int) -> str:
    """'old', 'new' or raise: the live index is whole and consistent."""
    service = RetrievalService(settings, embedder)
    snapshot = service.searcher().snapshot
    assert snapshot.vectors.count() == len(snapshot.chunks), "vectors and chunks disagree"
    ids = {c.id for c in snapshot.chunks}
    for doc in snapshot.documents.values():
        assert set(doc["chunk_ids"]) <= ids, "a document lost chunks"
    seen = set()
    for path in changed:
        doc_id = path.stem
        texts = [c.text for c in snapshot.chunks if c.document_id == doc_id]
        found = {m for m in (marker(cycle), marker(cycle - 1)) if any(m in t for t in texts)}
        assert len(found) == 1, f"{doc_id} holds {found or 'no'} revision markers"
        seen |= found
    assert len(seen) == 1, f"changed documents disagree: {seen}"
    answer = AnswerService(settings, service).ask("What is system stewardship?")
    assert answer.citations, "the index does not answer"
    return "new" if marker(cycle) in seen else "old"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--documents", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(11)

    work = Path(tempfile.mkdtemp(prefix="hlsguide-fault-"))
    corpus = work / "corpus"
    sources = sorted((ROOT / "corpus").glob("*/*.md"))
    wanted = {"system-stewardship"} | {p.stem for p in sources[: args.documents]}
    for path in sources:
        if path.stem in wanted:
            (corpus / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, corpus / path.parent.name / path.name)
    shutil.copy(ROOT / "corpus" / "references.yaml", corpus / "references.yaml")
    changed = sorted(corpus.glob("concepts/*.md"))[:CHANGED]
    originals = {p: p.read_text() for p in changed}
    env = {
        **os.environ,
        "HLSGUIDE_DATA_DIR": str(work / "data"),
        "HLSGUIDE_CORPUS_PATHS": f'["{corpus}"]',
    }
    settings = Settings(_env_file=None, data_dir=work / "data", corpus_paths=[corpus])
    embedder = SentenceTransformerEmbedder()

    for path in changed:
        path.write_text(originals[path] + f"\n\n{marker(0)}\n")
    start = time.perf_counter()
    subprocess.run([HLSGUIDE, "index"], env=env, check=True, capture_output=True)
    full = time.perf_counter() - start
    print(f"corpus of {len(list(corpus.glob('*/*.md')))} documents; a full run takes {full:.1f} s")

    outcomes = {"old": 0, "new": 0}
    mid_run = 0
    for cycle in range(1, args.cycles + 1):
        for path in changed:
            path.write_text(originals[path] + f"\n\n{marker(cycle)}\n")
        before = current_generation(settings.index_dir)
        process = subprocess.Popen(
            [HLSGUIDE, "index"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, full * 1.1))
        alive = process.poll() is None
        process.send_signal(signal.SIGKILL)  # a no-op if the run already ended
        process.wait()
        mid_run += alive
        outcome = check(settings, embedder, changed, cycle)
        outcomes[outcome] += 1
        after = current_generation(settings.index_dir)
        print(
            f"cycle {cycle:2d}: killed {'mid-run' if alive else 'after it finished'}, "
            f"index whole, {outcome} content ({'switched' if after != before else 'unchanged'})"
        )
        if outcome == "old":  # the next cycle's "old" must be this cycle's content
            subprocess.run([HLSGUIDE, "index"], env=env, check=True, capture_output=True)
    print(
        f"\n{args.cycles} cycles, {mid_run} kills mid-run: index whole every time; "
        f"old content {outcomes['old']}, new content {outcomes['new']}, partial 0"
    )


if __name__ == "__main__":
    main()
