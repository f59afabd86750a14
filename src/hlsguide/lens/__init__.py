"""The complexity lens: what a question touches, how it is framed, which signals it carries."""

from hlsguide.lens.analyzer import ComplexityLens

__all__ = ["ComplexityLens"]
