"""Specification review benchmark: a 40-page DOCX draft reviewed, against the bare embedding
time of its paragraphs (the ratio), with peak memory.

The draft is generated from the labelled paragraphs in eval/review (framed and neutral,
numbered sections with headings) until it reaches --pages pages of 500 words. The index is
built from corpus/ in a temporary folder first (or reused with --data-dir). The lens and the
units' embeddings are loaded once before timing (reported as the one-off setup), as a server
would hold them. Each measurement is the best of --repeat runs, the baseline (the same
embedder on the same paragraphs, in the same batches) run side by side with the review.

Usage: python bench/review.py [--data-dir DIR] [--pages 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import docx
import numpy as np
import yaml

from hlsguide.config import Settings
from hlsguide.retrieval.service import RetrievalService
from hlsguide.review.draft import paragraphs
from hlsguide.review.formats import to_docx
from hlsguide.review.service import BATCH, ReviewService

ROOT = Path(__file__).resolve().parents[1]
WORDS_PER_PAGE = 500


def draft(pages: int) -> tuple[bytes, int]:
    """A DOCX of numbered sections of labelled paragraphs; (bytes, words)."""
    items = [
        i["text"]
        for split in ("train", "heldout")
        for i in yaml.safe_load((ROOT / "eval/review" / f"{split}.yaml").read_text())["items"]
    ]
    document = docx.Document()
    document.add_heading("Draft service specification (benchmark)", level=1)
    words, n = 0, 0
    while words < pages * WORDS_PER_PAGE:
        if n % 8 == 0:
            document.add_heading(f"Section {n // 8 + 1}", level=2)
        text = " ".join(items[n % len(items)].split())
        document.add_paragraph(f"{n // 8 + 1}.{n % 8 + 1} {text}")
        words += len(text.split()) + 1
        n += 1
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), words


def best(runs: list[float]) -> float:
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="Reuse (or build) the index here.")
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hlsguide-bench-review-"))
    settings = Settings(
        _env_file=None,
        data_dir=args.data_dir or work / "data",
        corpus_paths=[ROOT / "corpus"],
        curated_dir=work / "curated",
    )
    retrieval = RetrievalService(settings)
    if not retrieval.is_ready():
        start = time.perf_counter()
        retrieval.build()
        print(f"index built in {time.perf_counter() - start:.0f} s")
    reviewer = ReviewService(settings, retrieval)
    start = time.perf_counter()
    reviewer.advisor()  # model, lens prototypes, unit sentences embedded: once per process
    setup = time.perf_counter() - start
    units = len(reviewer.advisor()[1].sentences)

    data, words = draft(args.pages)
    start = time.perf_counter()
    document = reviewer.read(data, "draft.docx")  # size, sniffing, isolated parsing
    read = time.perf_counter() - start
    texts = [p.text for p in paragraphs(document) if reviewer.lens.reviewable(p.text)]
    embedder = retrieval.embedder

    bare, reviews, result = [], [], None
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    for _ in range(args.repeat):
        start = time.perf_counter()
        for at in range(0, len(texts), BATCH):
            np.asarray(embedder.embed_documents(texts[at : at + BATCH]))
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = reviewer.review(document)
        reviews.append(time.perf_counter() - start)
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result is not None
    start = time.perf_counter()
    annotated = to_docx(result, document, data)
    write = time.perf_counter() - start

    print(
        f"== draft: {words} words ({words / WORDS_PER_PAGE:.0f} pages of {WORDS_PER_PAGE} words),"
        f" {result.paragraphs} paragraphs, {result.reviewed} reviewed, {len(result.findings)}"
        f" flagged, {len(result.strengths)} strengths; {len(annotated) // 1024} KB annotated DOCX"
    )
    print(f"one-off setup (model, lens, {units} unit sentences embedded): {setup:.2f} s")
    print(f"read (sniff + isolated parse): {read:.2f} s; DOCX comments written: {write:.2f} s")
    print(
        f"bare embedding of the {len(texts)} paragraphs: {best(bare):.2f} s "
        f"(best of {args.repeat}: {', '.join(f'{t:.2f}' for t in bare)})"
    )
    print(
        f"review (embed + lens + cited advice): {best(reviews):.2f} s "
        f"(best of {args.repeat}: {', '.join(f'{t:.2f}' for t in reviews)})"
    )
    print(f"ratio review / bare embedding: {best(reviews) / best(bare):.2f}x")
    total = read + best(reviews) + write
    print(f"ratio read + review + DOCX / bare embedding: {total / best(bare):.2f}x")
    print(
        f"peak memory: process RSS {rss_after / 1024:.0f} MB (before the runs "
        f"{rss_before / 1024:.0f} MB); Python allocations during the runs peaked at "
        f"{python_peak / 1e6:.1f} MB (tracemalloc)"
    )


if __name__ == "__main__":
    main()
