"""State (conversations, the answer log, feedback) behind one SQLAlchemy storage layer."""

from hlsguide.storage.store import AnswerNotFoundError, ConversationNotFoundError, Store

__all__ = ["AnswerNotFoundError", "ConversationNotFoundError", "Store"]
