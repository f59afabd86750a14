"""The lenses' data files: YAML lexicons packaged with ``hlsguide.lens``, or given by path."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def load_lexicon(name: str, path: Path | None = None) -> dict[str, Any]:
    """The lexicon at ``path``, or the packaged file ``name`` when no path is given."""
    text = (
        path.read_text(encoding="utf-8")
        if path
        else resources.files("hlsguide.lens").joinpath(name).read_text(encoding="utf-8")
    )
    return yaml.safe_load(text)


def compile_patterns(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    """A lexicon's patterns, matched without regard to case."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)
