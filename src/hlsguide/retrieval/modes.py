"""Search modes, in a module of their own so the command line can offer them without loading
the retrieval stack."""

from enum import StrEnum


class SearchMode(StrEnum):
    """Which retrievers take part."""

    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "bm25"
