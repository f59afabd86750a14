"""Retrieval benchmark, in one run:

1. index build time of the corpus against the bare embedding time of the same chunks (ratio);
2. query p50/p95 (hybrid, dense, BM25) at corpus size and on a synthetic 100,000-chunk index,
   each against the bare query-embedding time as the baseline;
3. ``eval retrieval`` on the dev questions: hybrid vs BM25-only vs dense-only.

Usage: python bench/retrieval.py [--questions FILE] [--synthetic N] [--queries N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from hlsguide.config import Settings
from hlsguide.corpus.loaders import load_document
from hlsguide.retrieval.chunking import chunk_document
from hlsguide.retrieval.embeddings import SentenceTransformerEmbedder, embed_query
from hlsguide.retrieval.evaluation import evaluate_retrieval, load_questions
from hlsguide.retrieval.index import Snapshot
from hlsguide.retrieval.lexical import LexicalIndex
from hlsguide.retrieval.search import Searcher, SearchMode
from hlsguide.retrieval.service import RetrievalService
from hlsguide.retrieval.vector_store import ChromaVectorStore

ROOT = Path(__file__).resolve().parents[1]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def latencies(embedder, searcher: Searcher, queries: list[str]) -> dict[str, list[float]]:
    """Per-query seconds for the bare query embedding and each mode, interleaved query by query
    so that background load hits baseline and searches alike."""
    samples: dict[str, list[float]] = {"embedding": [], **{m.value: [] for m in SearchMode}}
    for query in queries:
        start = time.perf_counter()
        embed_query(embedder, query)
        samples["embedding"].append(time.perf_counter() - start)
        for mode in SearchMode:
            start = time.perf_counter()
            searcher.search(query, k=5, mode=mode)
            samples[mode.value].append(time.perf_counter() - start)
    return samples


def print_latencies(label: str, samples: dict[str, list[float]]) -> None:
    base50, base95 = percentiles(samples.pop("embedding"))
    print(f"  {label} bare query embedding: p50 {base50:7.1f} ms   p95 {base95:7.1f} ms")
    for mode, values in samples.items():
        p50, p95 = percentiles(values)
        print(
            f"  {label} {mode:<7} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
            f"   p50 / embedding {p50 / base50:5.2f}x"
        )


def synthetic_snapshot(base: Snapshot, size: int, directory: Path, settings: Settings) -> Snapshot:
    """``size`` chunks made from the real ones: texts re-mixed, vectors jittered, renormalised."""
    rng = random.Random(7)
    nprng = np.random.default_rng(7)
    vectors = base.vectors.embeddings([c.id for c in base.chunks])
    sentences = [s for c in base.chunks for s in c.text.split(". ") if s.strip()]
    chunks, embeddings = [], []
    for i in range(size):
        source = base.chunks[i % len(base.chunks)]
        text = ". ".join(rng.sample(sentences, 4))
        vector = np.asarray(vectors[source.id]) + nprng.normal(0, 0.05, 384)
        chunks.append(source.model_copy(update={"id": f"syn-{i}", "text": text}))
        embeddings.append((vector / np.linalg.norm(vector)).tolist())
    store = ChromaVectorStore.open("synthetic", directory, settings.chroma_url)
    store.add(chunks, embeddings)
    lexical = LexicalIndex.build([c.embedding_text() for c in chunks])
    return Snapshot("synthetic", {"documents": {}}, chunks, lexical, store)


def row(label: str, p50: float, p95: float, base50: float) -> str:
    return (
        f"  {label:<28} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   p50/embedding {p50 / base50:6.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/dev_questions.yaml"
    )
    parser.add_argument("--synthetic", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hlsguide-bench-"))
    settings = Settings(_env_file=None, data_dir=work / "data", corpus_paths=[ROOT / "corpus"])
    embedder = SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)
    embed_query(embedder, "warm up")
    service = RetrievalService(settings, embedder)

    print("== 1. index build vs bare embedding of the same chunks ==")
    # The bare embedding runs before and after the build and is averaged, so that a change in
    # background load during the run weighs on both sides of the ratio.
    texts = [
        c.embedding_text()
        for path in sorted((ROOT / "corpus").glob("*/*.md"))
        for c in chunk_document(
            load_document(path), settings.chunk_tokens, settings.chunk_overlap_tokens
        )
    ]
    start = time.perf_counter()
    embedder.embed_documents(texts)
    bare_before = time.perf_counter() - start
    report = service.build()
    snapshot = service.searcher().snapshot
    start = time.perf_counter()
    embedder.embed_documents(texts)
    bare = (bare_before + time.perf_counter() - start) / 2
    print(f"  documents {len(snapshot.documents)}, chunks {len(texts)}")
    print(f"  index build       {report.seconds:7.2f} s")
    print(f"  bare embedding    {bare:7.2f} s   ({len(texts) / bare:.1f} chunks/s)")
    print(f"  ratio build/embed {report.seconds / bare:7.2f}x")
    start = time.perf_counter()
    again = service.build()
    rerun = time.perf_counter() - start
    print(f"  unchanged re-run  {rerun:7.2f} s (embedded {again.embedded_chunks})")

    questions = load_questions(args.questions)
    queries = [q.question for q in questions]
    queries = (queries * (args.queries // len(queries) + 1))[: args.queries]
    print(f"\n== 2. query latency ({len(queries)} queries, k=5) ==")
    searcher = service.searcher()
    print_latencies(
        f"corpus ({len(snapshot.chunks)} chunks)", latencies(embedder, searcher, queries)
    )
    start = time.perf_counter()
    synthetic = synthetic_snapshot(snapshot, args.synthetic, work / "synthetic", settings)
    built_in = time.perf_counter() - start
    print(f"  (synthetic index of {args.synthetic} chunks built in {built_in:.0f} s)")
    big = Searcher(synthetic, embedder, settings)
    print_latencies(f"synthetic ({args.synthetic} chunks)", latencies(embedder, big, queries))

    print("\n== 3. eval retrieval on the dev questions ==")
    result = evaluate_retrieval(searcher, questions, k=5)
    print(
        f"  {'group':<14}{'n':>4}"
        + "".join(f"{m + ' hit@5':>14}{m + ' MRR':>12}" for m in result.overall)
    )
    for name, scores in [("overall", result.overall), *result.by_category.items()]:
        n = next(iter(scores.values())).questions
        cells = "".join(f"{s.hit_at_k:>14.3f}{s.mrr:>12.3f}" for s in scores.values())
        print(f"  {name:<14}{n:>4}{cells}")
    print(f"  skipped (no relevant documents): {', '.join(result.skipped) or 'none'}")


if __name__ == "__main__":
    main()
