"""The bibliography (``references.yaml``): load it and format entries for citations."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from hlsguide.types import Publication


def _names(people: list[dict] | None) -> str:
    names = [
        f"{p.get('family', '')}, {p['given']}" if p.get("given") else str(p.get("family", ""))
        for p in people or []
        if isinstance(p, dict)
    ]
    if len(names) > 1:
        return ", ".join(names[:-1]) + " & " + names[-1]
    return names[0] if names else ""


def format_reference(entry: dict) -> str:
    """A short author-date rendering: Authors (year). Title. In editors, container. Publisher."""
    year = entry.get("issued", "n.d.")
    editors = _names(entry.get("editor"))
    is_chapter = entry.get("type") == "chapter"
    who = _names(entry.get("author"))
    if not who and not is_chapter:
        who = f"{editors} (ed.)" if editors else str(entry.get("publisher", ""))
    parts = [f"{who} ({year})." if who else f"({year})."]
    parts.append(f"{str(entry['title']).rstrip('.')}.")
    container = entry.get("container-title")
    details = ", ".join(str(entry[k]) for k in ("volume", "issue", "page") if entry.get(k))
    if container:
        prefix = f"In {editors} (ed.), " if is_chapter and editors else ""
        parts.append(f"{prefix}{container}{', ' + details if details else ''}.")
    if entry.get("publisher") and str(entry["publisher"]) not in who:
        parts.append(f"{str(entry['publisher']).rstrip('.')}.")
    return " ".join(parts)


class Bibliography:
    """References by id, merged from every ``references.yaml`` under the corpus paths."""

    def __init__(self, entries: dict[str, dict]) -> None:
        self.entries = entries

    @classmethod
    def load(cls, corpus_paths: Iterable[Path]) -> Bibliography:
        """Read ``references.yaml`` at the root of each corpus path that has one."""
        entries: dict[str, dict] = {}
        for root in corpus_paths:
            path = root / "references.yaml"
            if path.is_file():
                for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
                    if isinstance(entry, dict) and entry.get("id") and entry.get("title"):
                        entries[str(entry["id"])] = entry
        return cls(entries)

    def publication(self, key: str) -> Publication | None:
        """The formatted publication for ``key``, or None when the bibliography lacks it."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        doi = entry.get("DOI")
        return Publication(
            id=key,
            formatted=format_reference(entry),
            doi=str(doi) if doi else None,
            url=f"https://doi.org/{doi}" if doi else entry.get("URL"),
        )
