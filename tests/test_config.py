"""Settings: grouped into sections, every HLSGUIDE_* name read as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hlsguide.config import (
    APISettings,
    LLMSettings,
    RetrievalSettings,
    Settings,
    SlackSettings,
    StorageSettings,
    WidgetSettings,
)


def test_the_old_variable_names_fill_the_sections(monkeypatch, tmp_path):
    monkeypatch.setenv("HLSGUIDE_CHUNK_TOKENS", "128")
    monkeypatch.setenv("HLSGUIDE_CHROMA_URL", "http://127.0.0.1:8001")
    monkeypatch.setenv("HLSGUIDE_LLM_MODEL", "smollm2")
    monkeypatch.setenv("HLSGUIDE_PORT", "9001")
    monkeypatch.setenv("HLSGUIDE_SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("HLSGUIDE_SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("HLSGUIDE_CORS_ORIGINS", '["https://intranet.example.gov.uk/"]')
    monkeypatch.setenv("HLSGUIDE_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)

    assert isinstance(settings.retrieval, RetrievalSettings)
    assert settings.retrieval.chunk_tokens == 128
    assert settings.retrieval.chroma_url == "http://127.0.0.1:8001"
    assert isinstance(settings.llm, LLMSettings)
    assert settings.llm.llm_model == "smollm2"
    assert isinstance(settings.api, APISettings)
    assert settings.api.port == 9001
    assert isinstance(settings.slack, SlackSettings)
    assert settings.slack.slack_enabled
    assert isinstance(settings.widget, WidgetSettings)
    assert settings.widget.cors_origins == ["https://intranet.example.gov.uk"]
    assert isinstance(settings.storage, StorageSettings)
    assert settings.storage.index_dir == tmp_path / "index"
    assert settings.storage.resolved_database_url == f"sqlite:///{tmp_path / 'hlsguide.db'}"
    # The flat names read the same values: existing code and .env files keep working.
    assert (settings.chunk_tokens, settings.port, settings.llm_model) == (128, 9001, "smollm2")


def test_every_field_belongs_to_exactly_one_section():
    sections = [
        Settings.__mro__[i]
        for i in range(1, len(Settings.__mro__))
        if Settings.__mro__[i].__name__.endswith("Settings")
        and Settings.__mro__[i].__module__ == "hlsguide.config"
    ]
    owned = [name for section in sections for name in section.__annotations__]
    assert sorted(owned) == sorted(Settings.model_fields)


def test_section_validators_still_apply(monkeypatch):
    monkeypatch.setenv("HLSGUIDE_SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(ValidationError, match="HLSGUIDE_SLACK_SIGNING_SECRET"):
        Settings(_env_file=None)
    monkeypatch.delenv("HLSGUIDE_SLACK_BOT_TOKEN")
    with pytest.raises(ValidationError, match="chunk_overlap_tokens must be smaller"):
        Settings(_env_file=None, chunk_tokens=64, chunk_overlap_tokens=64)
    with pytest.raises(ValidationError, match="no wildcards"):
        Settings(_env_file=None, cors_origins=["https://*.example.org"])


def test_a_section_is_a_view_of_the_same_object():
    settings = Settings(_env_file=None, data_dir=Path("somewhere"))
    settings.max_upload_bytes = 10
    assert settings.api.max_upload_bytes == 10
    assert settings.storage is settings
