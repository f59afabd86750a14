"""The index: generations staged on disk, switched atomically, built by one writer at a time.

Layout under ``<data_dir>/index``::

    CURRENT            name of the live generation (replaced atomically)
    .writer.lock       held (flock) by the one process that is indexing
    gen-<stamp>/       manifest.json, chunks.jsonl, bm25/, chroma/ (embedded mode),
                       units.jsonl with unit_vectors.npy and unit_prompt_vectors.npy

A run stages a complete new generation (carrying unchanged documents' vectors over, embedding
only what changed) and only then rewrites CURRENT. A run that fails or is killed part-way
leaves CURRENT, and so the live index, as it was; its leftovers are removed by the next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from hlsguide.config import Settings
from hlsguide.corpus.loaders import IngestError, discover, load_document
from hlsguide.retrieval.chunking import chunk_document
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.retrieval.injection import InjectionDetector, load_detector, screen
from hlsguide.retrieval.lexical import LexicalIndex
from hlsguide.retrieval.units import UnitIndex, document_units
from hlsguide.retrieval.vector_store import VectorStore, VectorStoreFactory, chroma_stores
from hlsguide.types import Chunk, SourceDocument

# Raised whenever chunks or units are made differently, so that unchanged documents are not
# kept with what an older build made of them: 2, units and their vectors join a generation; 3,
# a run-in title is bound to its sentence; 4, list items continuing a lead-in are bound to it;
# 5, a titled sentence is a step only when it directs, and an order whose object points back
# ("Treat this as ...") is bound to the sentence before it; 6, a sentence opening with a
# verdict is embedded as said, without it.
FORMAT_VERSION = 6
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".writer.lock"
GENERATION_PREFIX = "gen-"

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while a run embeds."""


class IndexLockedError(RuntimeError):
    """Another process is writing the index."""


@dataclass
class IndexReport:
    """What an index run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[IngestError] = field(default_factory=list)
    # Per document indexed in this run: hidden or model-directed text removed at ingestion.
    warnings: dict[str, list[str]] = field(default_factory=dict)
    # Unchanged documents a --rescan found text addressed to a model in (and re-indexed).
    rescanned: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded_chunks: int = 0
    units: int = 0
    embedded_units: int = 0
    generation: str | None = None
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the single-writer lock; raise IndexLockedError at once if another process has it.

    flock is released by the kernel when the holder dies, so a killed run never leaves a
    stale lock behind.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise IndexLockedError(
                f"another process (pid {holder}) is writing the index at {index_dir}; "
                "wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def index_busy(index_dir: Path) -> bool:
    """True while an index run holds the writer lock. Reads the holder's pid first and only
    probes the lock when one is written, so an idle index is never locked, even briefly."""
    path = index_dir / LOCK_FILE
    try:
        with open(path) as handle:
            if not handle.read().strip():
                return False
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)  # a killed writer left its pid behind
            return False
    except FileNotFoundError:
        return False


def current_generation(index_dir: Path) -> str | None:
    """Name of the live generation, or None when no index has been built."""
    try:
        name = (index_dir / CURRENT_FILE).read_text().strip()
    except FileNotFoundError:
        return None
    return name if (index_dir / name / "manifest.json").exists() else None


def _fingerprint(settings: Settings, embedder: Embedder) -> dict:
    # Changing any of these invalidates every stored chunk or vector.
    return {
        "format": FORMAT_VERSION,
        "embedding_model": embedder.name,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap_tokens": settings.chunk_overlap_tokens,
    }


@dataclass
class Snapshot:
    """One generation, loaded for reading: chunks, manifest, BM25, the vector store, units."""

    generation: str
    manifest: dict
    chunks: list[Chunk]
    lexical: LexicalIndex
    vectors: VectorStore
    units: UnitIndex

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]

    @classmethod
    def load(
        cls,
        settings: Settings,
        generation: str | None = None,
        stores: VectorStoreFactory | None = None,
    ) -> Snapshot | None:
        """Load ``generation`` (default: the live one); None when there is no index. Vectors are
        opened by ``stores`` (default: Chroma as the settings say)."""
        index_dir = settings.index_dir
        generation = generation or current_generation(index_dir)
        if generation is None:
            return None
        directory = index_dir / generation
        manifest = json.loads((directory / "manifest.json").read_text())
        with open(directory / "chunks.jsonl", encoding="utf-8") as handle:
            chunks = [Chunk.model_validate_json(line) for line in handle]
        return cls(
            generation=generation,
            manifest=manifest,
            chunks=chunks,
            lexical=LexicalIndex.load(directory / "bm25"),
            vectors=(stores or chroma_stores(settings.chroma_url, settings.hnsw_ef_search))(
                generation, directory
            ),
            units=UnitIndex.load(directory),
        )


def _new_generation_name(index_dir: Path) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    name = f"{GENERATION_PREFIX}{stamp}"
    while (index_dir / name).exists():
        name += "x"
    return name


class IndexBuilder:
    """Builds a new generation from source paths, incrementally, then switches to it."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        stores: VectorStoreFactory,
        *,
        detector: InjectionDetector | None = None,
    ) -> None:
        """Vectors go where ``stores`` keeps them (the retrieval service's choice);
        ``detector`` replaces the bundled injection detector."""
        self.settings = settings
        self.embedder = embedder
        self.stores = stores
        self.index_dir = settings.index_dir
        if detector is not None:
            self.detector = detector  # fills the property

    @cached_property
    def detector(self) -> InjectionDetector:
        """Layer 2 of injection detection, loaded on first use."""
        return load_detector(self.embedder)

    def run(
        self,
        paths: list[Path] | None = None,
        progress: Progress | None = None,
        rescan: bool = False,
        parsed: Mapping[Path, SourceDocument] | None = None,
    ) -> IndexReport:
        """Index ``paths`` (default: corpus paths and uploads) and report what changed.

        ``rescan`` re-applies injection detection to unchanged documents too, re-indexing any
        it flags (so an upgraded detector protects documents indexed before it). ``parsed``
        holds files already parsed elsewhere (an upload, in a time-limited child process):
        they are used as they are, not parsed again here without a limit."""
        started = time.perf_counter()
        paths = paths if paths is not None else self.settings.index_paths
        with writer_lock(self.index_dir):
            self._remove_leftovers()
            report = self._build(paths, progress, rescan, parsed or {})
        report.seconds = time.perf_counter() - started
        return report

    def _remove_leftovers(self) -> None:
        """Drop generations neither live nor the one before (crashed or superseded runs)."""
        keep = {current_generation(self.index_dir), self._previous_generation()}
        for directory in self.index_dir.glob(f"{GENERATION_PREFIX}*"):
            if directory.name not in keep:
                self._drop_generation(directory.name)

    def _previous_generation(self) -> str | None:
        try:
            return (self.index_dir / "PREVIOUS").read_text().strip() or None
        except FileNotFoundError:
            return None

    def _drop_generation(self, name: str) -> None:
        if self.settings.chroma_url:
            # The vectors live on a server, not in the directory. A collection that was never
            # created is fine to miss.
            with contextlib.suppress(Exception):
                self.stores(name, self.index_dir / name).drop()
        shutil.rmtree(self.index_dir / name, ignore_errors=True)

    def _load_sources(
        self, paths: list[Path], report: IndexReport, parsed: Mapping[Path, SourceDocument]
    ) -> tuple[dict[str, SourceDocument], set[str]]:
        documents: dict[str, SourceDocument] = {}
        failed_paths: set[str] = set()
        known = {path.resolve(): document for path, document in parsed.items()}
        for path in discover(paths):
            try:
                document = known.get(path.resolve()) or load_document(
                    path, self.settings.max_file_bytes
                )
                if document.id in documents:
                    raise IngestError(
                        path,
                        f"id '{document.id}' is already used by "
                        f"{documents[document.id].source_path}",
                    )
            except IngestError as exc:
                report.failed.append(exc)
                failed_paths.add(str(path))
                continue
            documents[document.id] = document
        for root in paths:
            if not root.exists():
                report.failed.append(IngestError(root, "no such file or folder"))
        return documents, failed_paths

    def _build(
        self,
        paths: list[Path],
        progress: Progress | None,
        rescan: bool,
        parsed: Mapping[Path, SourceDocument],
    ) -> IndexReport:
        report = IndexReport()
        documents, failed_paths = self._load_sources(paths, report, parsed)
        previous = Snapshot.load(self.settings, stores=self.stores)
        previous_docs = previous.documents if previous is not None else {}
        reusable = previous is not None and previous.manifest.get("fingerprint") == _fingerprint(
            self.settings, self.embedder
        )

        keep_old: list[str] = []  # documents whose stored chunks and vectors carry over
        to_embed: list[SourceDocument] = []
        for doc_id, document in documents.items():
            old = previous_docs.get(doc_id)
            if reusable and old is not None and old["content_hash"] == document.content_hash:
                # A manifest from before the detector lists only the loader's warnings.
                screened = screen(self.detector, document) if rescan else document
                if not rescan or screened.warnings == old.get("warnings", document.warnings):
                    keep_old.append(doc_id)
                    report.unchanged.append(doc_id)
                    continue
                report.rescanned.append(doc_id)
                report.updated.append(doc_id)
                to_embed.append(screened)
            else:
                to_embed.append(screen(self.detector, document))
                (report.updated if old is not None else report.added).append(doc_id)
        for doc_id, old in previous_docs.items():
            if doc_id in documents:
                continue
            if reusable and old["source_path"] in failed_paths:
                keep_old.append(doc_id)  # a file that fails now keeps its last good version
            else:
                report.removed.append(doc_id)

        if previous is not None and not report.changed:
            report.generation = previous.generation
            report.chunks = len(previous.chunks)
            report.units = len(previous.units.units)
            return report
        if not keep_old and not to_embed:
            return report  # nothing loadable: leave whatever index there is alone

        generation = _new_generation_name(self.index_dir)
        directory = self.index_dir / generation
        directory.mkdir(parents=True)
        store = self.stores(generation, directory)
        manifest_docs: dict[str, dict] = {}
        all_chunks: list[Chunk] = []
        carried_units = UnitIndex.empty()

        if keep_old and previous is not None:  # only a previous generation has kept documents
            carried_units = previous.units.subset(set(keep_old))
            kept: dict[str, list[Chunk]] = {d: [] for d in keep_old}
            for chunk in previous.chunks:
                if chunk.document_id in kept:
                    kept[chunk.document_id].append(chunk)
            carried = [c for d in keep_old for c in kept[d]]
            vectors = previous.vectors.embeddings([c.id for c in carried])
            store.add(carried, [vectors[c.id] for c in carried])
            all_chunks.extend(carried)
            for doc_id in keep_old:
                manifest_docs[doc_id] = previous_docs[doc_id]

        new_chunks: list[Chunk] = []
        new_units = []
        for document in to_embed:
            if document.warnings:
                report.warnings[document.id] = document.warnings
            chunks = chunk_document(
                document, self.settings.chunk_tokens, self.settings.chunk_overlap_tokens
            )
            new_chunks.extend(chunks)
            new_units.extend(document_units(document, chunks))
            manifest_docs[document.id] = {
                "title": document.title,
                "kind": document.kind,
                "summary": document.summary,
                "topics": document.topics,
                "principles": document.principles,
                "references": document.references,
                "source_path": document.source_path,
                "content_hash": document.content_hash,
                # Kept so --rescan can compare, and the console can list what hygiene removed.
                "warnings": document.warnings,
                "chunk_ids": [c.id for c in chunks],
            }
        batch = max(self.settings.embedding_batch_size, 1) * 4
        for start in range(0, len(new_chunks), batch):
            part = new_chunks[start : start + batch]
            store.add(part, self.embedder.embed_documents([c.embedding_text() for c in part]))
            if progress:
                progress("embed", min(start + batch, len(new_chunks)), len(new_chunks))
        all_chunks.extend(new_chunks)
        report.embedded_chunks = len(new_chunks)
        units = UnitIndex.concat([carried_units, UnitIndex.build(new_units, self.embedder)])
        units.save(directory)
        report.units, report.embedded_units = len(units.units), len(new_units)

        LexicalIndex.build([c.embedding_text() for c in all_chunks]).save(directory / "bm25")
        with open(directory / "chunks.jsonl", "w", encoding="utf-8") as handle:
            for chunk in all_chunks:
                handle.write(chunk.model_dump_json() + "\n")
        manifest = {
            "generation": generation,
            "created_at": datetime.now(UTC).isoformat(),
            "fingerprint": _fingerprint(self.settings, self.embedder),
            "documents": dict(sorted(manifest_docs.items())),
        }
        _write_atomic(directory / "manifest.json", json.dumps(manifest, indent=1))
        self._switch(generation, previous.generation if previous else None)
        report.generation = generation
        report.chunks = len(all_chunks)
        return report

    def _switch(self, generation: str, previous: str | None) -> None:
        """Make ``generation`` live; keep the one before for readers still holding it."""
        if previous:
            _write_atomic(self.index_dir / "PREVIOUS", previous)
        _write_atomic(self.index_dir / CURRENT_FILE, generation)
        self._remove_leftovers()


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file, fsync, and rename, so readers see old or new, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
