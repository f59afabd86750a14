"""The README's Data protection section names every table the state database keeps and every
setting a DPIA asks about, so a new table cannot be added without saying what it holds."""

import re
from pathlib import Path

from hlsguide.storage.models import Base

README = Path(__file__).resolve().parents[1] / "README.md"
# Tables holding nothing about the people who ask: the curators' console and its reviews are
# described in the console's own section.
CONSOLE_TABLES = {"admin_sessions", "faq_reviews"}
DPIA_SETTINGS = (
    "HLSGUIDE_RETENTION_DAYS",
    "HLSGUIDE_REDACT_PERSONAL_DATA",
    "HLSGUIDE_IDENTIFIER_SECRET",
    "HLSGUIDE_ANSWER_LOG",
    "HLSGUIDE_ASK_OPEN",
    "HLSGUIDE_LLM_BASE_URL",
)


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    assert text.count(f"\n## {title}\n") == 1, f"one '## {title}' section"
    return re.split(r"\n## ", text.split(f"\n## {title}\n", 1)[1], maxsplit=1)[0]


def test_data_protection_names_every_table_and_setting():
    text = section("Data protection")
    for table in sorted(set(Base.metadata.tables) - CONSOLE_TABLES):
        assert f"`{table}`" in text, table
    for setting in DPIA_SETTINGS:
        assert setting in text, setting
    for command in ("hlsguide privacy export --user", "hlsguide privacy delete --user"):
        assert command in text
    for form in ("slack:<Slack user id>", "teams:<Entra ID object id>"):
        assert form in text
