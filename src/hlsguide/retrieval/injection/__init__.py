"""Detection of text addressed to a model rather than a reader: patterns (layer 1) and a
classifier over sentence embeddings (layer 2), trained offline, shipped as weights."""

from hlsguide.retrieval.injection.detector import (
    InjectionDetector,
    blank,
    directs_the_answer,
    load_detector,
    screen,
    units,
)

__all__ = ["InjectionDetector", "blank", "directs_the_answer", "load_detector", "screen", "units"]
