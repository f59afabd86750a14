"""Answer generators behind one interface."""

from hlsguide.answer.generators.base import GenerationRequest, Generator, GeneratorError

__all__ = ["GenerationRequest", "Generator", "GeneratorError"]
