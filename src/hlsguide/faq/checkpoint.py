"""The batch checkpoint: a JSONL file beside the output, one finished item a line, each line
flushed and fsynced as its item finishes, so a run killed at any moment loses no finished work.

Only answered items are reused on ``--resume``; a failed item is tried again (its failure was
recorded, and a later line for the same id supersedes it)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from pydantic import ValidationError

from hlsguide.faq.results import ItemResult

log = logging.getLogger(__name__)
SUFFIX = ".checkpoint.jsonl"


def checkpoint_path(output: Path) -> Path:
    """Where the checkpoint of ``output`` lives: beside it, ``<output>.checkpoint.jsonl``."""
    return output.with_name(output.name + SUFFIX)


class Checkpoint:
    """A ResultSink on a JSONL file; safe to record from several threads."""

    def __init__(self, path: Path, resume: bool) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._entries = self._load() if resume else {}
        # A fresh run starts a new file; a resumed one appends to what it has read.
        self._handle = open(self.path, "a" if resume else "w", encoding="utf-8")  # noqa: SIM115

    def _load(self) -> dict[str, ItemResult]:
        entries: dict[str, ItemResult] = {}
        if not self.path.exists():
            return entries
        with open(self.path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    result = ItemResult.model_validate_json(line)
                except ValidationError:
                    # A run killed mid-write leaves a torn last line; its item is simply redone.
                    log.warning("%s: line %d is unreadable and is ignored", self.path, number)
                    continue
                entries[result.id] = result
        return entries

    def finished(self) -> dict[str, ItemResult]:
        """Answered items by id (failed ones are retried)."""
        return {key: r for key, r in self._entries.items() if r.status == "ok"}

    def record(self, result: ItemResult) -> None:
        """Append one finished item durably."""
        line = result.model_dump_json() + "\n"
        with self._lock:
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._entries[result.id] = result

    def close(self) -> None:
        with self._lock:
            self._handle.close()

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
