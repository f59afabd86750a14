"""State behind one SQLAlchemy storage layer: the ``Store`` handle and one module per concern."""

from hlsguide.storage.answer_log import AnswerNotFoundError
from hlsguide.storage.conversations import ConversationNotFoundError
from hlsguide.storage.store import Store

__all__ = ["AnswerNotFoundError", "ConversationNotFoundError", "Store"]
