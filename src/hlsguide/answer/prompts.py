"""The one loader for prompt and template files in ``prompts/``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[3] / "prompts"


@cache
def _read(name: str, directory: Path) -> str:
    return (directory / f"{name}.md").read_text(encoding="utf-8")


def render(name: str, directory: Path = PROMPTS_DIR, **values: object) -> str:
    """Fill ``prompts/<name>.md``; str.format fields; missing values raise KeyError."""
    return _read(name, directory).format(**values)
