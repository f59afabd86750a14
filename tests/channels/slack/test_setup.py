"""Configuration, registration in create_app, and the app manifest an admin installs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from pydantic import ValidationError

import hlsguide.channels.slack as slack_package
from hlsguide.api.app import create_app
from hlsguide.channels.slack.app import COMMAND
from hlsguide.config import Settings

MANIFEST = Path(slack_package.__file__).parent / "manifest.yaml"


def test_secret_and_token_go_together():
    with pytest.raises(ValidationError, match="HLSGUIDE_SLACK_SIGNING_SECRET and HLSGUIDE_SLACK"):
        Settings(_env_file=None, slack_signing_secret="s")
    with pytest.raises(ValidationError, match="together"):
        Settings(_env_file=None, slack_bot_token="xoxb-1")
    assert not Settings(_env_file=None, slack_signing_secret="", slack_bot_token="").slack_enabled
    assert Settings(_env_file=None, slack_signing_secret="s", slack_bot_token="t").slack_enabled


def test_api_url_is_normalised_and_checked():
    assert Settings(_env_file=None, slack_api_url="http://127.0.0.1:9/api").slack_api_url == (
        "http://127.0.0.1:9/api/"
    )
    with pytest.raises(ValidationError, match="http"):
        Settings(_env_file=None, slack_api_url="ftp://slack.example/api/")


async def test_endpoint_exists_only_when_slack_is_configured(answers, slack_settings):
    plain = slack_settings.model_copy(
        update={"slack_signing_secret": None, "slack_bot_token": None}
    )
    for settings, status in ((plain, 404), (slack_settings, 401)):
        app = create_app(settings, answers.retrieval, answers)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/slack/events", content="{}")
        assert response.status_code == status


def test_manifest_matches_the_app():
    manifest = yaml.safe_load(MANIFEST.read_text())
    settings = manifest["settings"]
    [command] = manifest["features"]["slash_commands"]
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        command["url"],
    ]
    assert {urlsplit(u).path for u in urls} == {"/slack/events"}
    assert all(urlsplit(u).scheme == "https" for u in urls)
    assert command["command"] == COMMAND
    assert settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read",
        "chat:write",
        "commands",
        "im:history",
    }
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert settings["socket_mode_enabled"] is False
