"""Injection-detection benchmark, in one run:

1. detection time per 1,000 sentences (corpus units) against the bare embedding time of the
   same sentences (the ratio), and the layers' own share on vectors already at hand (with the
   fine-tuned reader's forward pass, and without it as the extractive answer checks);
2. the corpus index build time with the detector and without it (ratio), each in a fresh
   temporary data directory, runs interleaved so that background load hits both alike.

Usage: python bench/injection.py [--sentences N] [--rounds N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from hlsguide.config import Settings
from hlsguide.retrieval.embeddings import SentenceTransformerEmbedder
from hlsguide.retrieval.index import IndexBuilder
from hlsguide.retrieval.injection import load_detector
from hlsguide.retrieval.injection.train import corpus_sentences
from hlsguide.retrieval.vector_store import chroma_stores

ROOT = Path(__file__).resolve().parents[1]


class NoDetection:
    """The baseline: a detector that judges nothing (no embedding, no classifier)."""

    def flagged_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        return [[] for _ in texts]


def detection(embedder, sentences: list[str], rounds: int) -> None:
    detector = load_detector(embedder)
    detector.flags(sentences[:8])  # loads the fine-tuned reader outside the timings
    timings: dict[str, list[float]] = {"embed": [], "detect": [], "layers": [], "regression": []}
    for _ in range(rounds):
        start = time.perf_counter()
        vectors = np.asarray(embedder.embed_documents(sentences))
        timings["embed"].append(time.perf_counter() - start)
        start = time.perf_counter()
        detector.flags(sentences)
        timings["detect"].append(time.perf_counter() - start)
        start = time.perf_counter()
        detector.flags_from_vectors(sentences, vectors)
        timings["layers"].append(time.perf_counter() - start)
        start = time.perf_counter()
        detector.flags_from_vectors(sentences, vectors, reader=False)
        timings["regression"].append(time.perf_counter() - start)
    per = 1000 / len(sentences)
    e, d, c, r = (statistics.median(timings[k]) * per for k in timings)
    print(f"1. detection of {len(sentences)} corpus sentences (median of {rounds}), per 1,000:")
    print(f"  bare embedding           {e:8.2f} s")
    print(f"  detection (embed + both layers) {d:8.2f} s   ratio {d / e:5.2f}x")
    print(f"  layers on ready vectors (with the reader) {c:8.3f} s   ratio {c / e:5.3f}x")
    print(f"  patterns and regression on ready vectors {r:8.3f} s   ratio {r / e:5.3f}x")
    print("    (the extractive answer's second check)")


def builds(embedder, corpus: Path, rounds: int) -> None:
    detector = load_detector(embedder)
    detector.flags(["Loads the fine-tuned reader outside the timings."])
    timings: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(rounds):
        for label, chosen in (("without", NoDetection()), ("with", detector)):
            with tempfile.TemporaryDirectory() as scratch:
                settings = Settings(_env_file=None, data_dir=Path(scratch), corpus_paths=[corpus])
                report = IndexBuilder(
                    settings, embedder, chroma_stores(settings.chroma_url), detector=chosen
                ).run()  # type: ignore[arg-type]
                timings[label].append(report.seconds)
    without, with_ = (statistics.median(timings[k]) for k in ("without", "with"))
    print(f"2. index build of {corpus} (median of {rounds}, {report.chunks} chunks):")
    print(f"  without the detector     {without:8.1f} s")
    print(f"  with the detector        {with_:8.1f} s   ratio {with_ / without:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    sentences = corpus_sentences(args.corpus)[: args.sentences]
    detection(embedder, sentences, args.rounds)
    builds(embedder, args.corpus, max(1, args.rounds - 2))


if __name__ == "__main__":
    main()
