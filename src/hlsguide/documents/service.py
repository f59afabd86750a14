"""Upload, list and delete user documents. A bad upload is refused before anything is
written, so the index stays as it was."""

from __future__ import annotations

import multiprocessing
import os
import queue
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from hlsguide.corpus.loaders import IngestError, load_document
from hlsguide.documents.sniff import UnsupportedTypeError, sniff
from hlsguide.retrieval.service import RetrievalService
from hlsguide.types import SourceDocument


class UploadError(ValueError):
    """An upload that is refused; ``status`` is the HTTP status that fits it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class StoredDocument:
    """An uploaded document as the index holds it."""

    id: str
    title: str
    kind: str
    type: str
    chunks: int
    warnings: list[str]


def _parse(path: str, max_pages: int, results) -> None:
    """Runs in a child process, so a parser that hangs or explodes can be killed."""
    results.put(_parse_result(path, max_pages))


def _parse_result(path: str, max_pages: int) -> dict:
    try:
        if path.endswith(".pdf"):
            from pypdf import PdfReader

            try:  # counting pages first keeps a huge PDF from being parsed at all
                pages = len(PdfReader(path).pages)
            except Exception:
                pages = 0  # load_document below says what is wrong with the file
            if pages > max_pages:
                return {
                    "status": 413,
                    "error": f"the PDF has {pages} pages; the limit is {max_pages}",
                }
        return {"document": load_document(Path(path)).model_dump()}
    except IngestError as exc:
        return {"status": 422, "error": exc.problem}
    except Exception as exc:  # any parser failure is the upload's problem
        return {"status": 422, "error": f"the file could not be parsed ({type(exc).__name__})"}


@cache
def _parser_context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hlsguide.documents.service"])
    return context


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "document"


class DocumentService:
    """Owns the uploads folder; every change goes through an incremental index run."""

    def __init__(self, retrieval: RetrievalService) -> None:
        self.retrieval = retrieval
        self.settings = retrieval.settings
        self.folder = self.settings.resolved_documents_dir

    def parse(self, data: bytes, filename: str) -> tuple[str, SourceDocument]:
        """Check and parse an upload in isolation; returns (suffix, parsed document)."""
        if not data.strip():
            raise UploadError(422, "the file is empty")
        if len(data) > self.settings.max_upload_bytes:
            raise UploadError(
                413, f"the file is {len(data)} bytes; the limit is {self.settings.max_upload_bytes}"
            )
        try:
            suffix = sniff(data, filename)
        except UnsupportedTypeError as exc:
            raise UploadError(415, f"unsupported content: {exc}") from exc
        stem = _slug(Path(filename).stem)
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / f"{stem}{suffix}"
            path.write_bytes(data)
            # Not fork: the server process holds threads and a loaded model. A fork server
            # starts clean once, with the parsers imported, then forks each child from itself.
            context = _parser_context()
            results = context.Queue()
            child = context.Process(
                target=_parse, args=(str(path), self.settings.max_pdf_pages, results)
            )
            child.start()
            try:
                result = results.get(timeout=self.settings.parse_timeout_seconds)
            except queue.Empty:
                raise UploadError(
                    422, f"parsing took longer than {self.settings.parse_timeout_seconds:g} s"
                ) from None
            finally:
                child.kill()
                child.join()
        if "error" in result:
            raise UploadError(result["status"], result["error"])
        return suffix, SourceDocument.model_validate(result["document"])

    def upload(self, data: bytes, filename: str, replace: bool = False) -> StoredDocument:
        """Store and index an upload; refused uploads leave files and index untouched."""
        suffix, parsed = self.parse(data, filename)
        existing = self._files_by_id()
        if parsed.id in existing and not replace:
            raise UploadError(409, f"a document with id '{parsed.id}' exists; pass replace=true")
        indexed = self.retrieval.snapshot().documents if self.retrieval.is_ready() else {}
        if parsed.id in indexed and parsed.id not in existing:
            raise UploadError(409, f"'{parsed.id}' is a corpus document and cannot be replaced")
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{Path(parsed.source_path).stem}{suffix}"
        previous = existing.get(parsed.id)
        backup = previous.read_bytes() if previous else None
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        if previous and previous != target:
            previous.unlink()
        # The child's parse is reused: the file is not parsed again here, where no time limit
        # applies.
        stored = parsed.model_copy(update={"source_path": str(target)})
        try:
            report = self.retrieval.build(parsed={target: stored})
        except Exception:
            target.unlink(missing_ok=True)  # leave the folder as the index knows it
            if previous and backup is not None:
                previous.write_bytes(backup)
            raise
        chunks = len(self.retrieval.snapshot().documents[parsed.id]["chunk_ids"])
        return StoredDocument(
            id=parsed.id,
            title=parsed.title,
            kind=parsed.kind,
            type=suffix.lstrip("."),
            chunks=chunks,
            warnings=report.warnings.get(parsed.id, parsed.warnings),
        )

    def _files_by_id(self) -> dict[str, Path]:
        if not self.folder.is_dir():
            return {}
        return {
            f"doc-{_slug(p.stem)}": p
            for p in self.folder.iterdir()
            if p.is_file() and not p.name.startswith(".")
        }

    def list(self) -> list[dict]:
        """Uploaded documents in the live index, with what hygiene removed from each and when
        its file was stored."""
        documents = self.retrieval.snapshot().documents
        files = self._files_by_id()
        return [
            {
                "id": doc_id,
                "title": doc["title"],
                "chunks": len(doc["chunk_ids"]),
                "file": path.name,
                "type": path.suffix.lstrip("."),
                "warnings": doc.get("warnings", []),  # indexes built before they were kept
                "added_at": datetime.fromtimestamp(path.stat().st_mtime, UTC),
            }
            for doc_id, path in sorted(files.items())
            if (doc := documents.get(doc_id))
        ]

    def delete(self, document_id: str) -> None:
        """Remove an upload and re-index; corpus documents are managed in git, not here."""
        path = self._files_by_id().get(document_id)
        if path is None:
            known = self.retrieval.snapshot().documents
            if document_id in known:
                raise UploadError(403, f"'{document_id}' is a corpus document; change it in git")
            raise UploadError(404, f"no uploaded document with id '{document_id}'")
        backup = path.read_bytes()
        path.unlink()
        try:
            self.retrieval.build()
        except Exception:
            path.write_bytes(backup)
            raise
