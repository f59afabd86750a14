"""The generator seam: ``generate(request) -> Draft``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hlsguide.answer.citations import Draft
from hlsguide.types import Hit, Lens


class GeneratorError(RuntimeError):
    """The generator's backend failed (unreachable, timed out, returned an error)."""


@dataclass(frozen=True)
class GenerationRequest:
    """What a generator gets: the standalone question, its lens, passages numbered from 1."""

    question: str
    lens: Lens
    passages: list[Hit]


class Generator(Protocol):
    """Composes a draft answer whose ``[n]`` markers name passages of the request."""

    name: str

    def generate(self, request: GenerationRequest) -> Draft:
        """A draft for ``request``; raise GeneratorError when the backend fails."""
        ...
