"""The Teams app package written by ``hlsguide teams-manifest`` from the manifest template."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

from hlsguide.channels.teams.manifest import (
    COLOR_SIZE,
    OUTLINE_SIZE,
    ManifestError,
    _png,
    png_size,
    render_manifest,
)
from hlsguide.cli.app import app

APP_ID = "5d2c0f6e-2a7b-4c1d-9e3f-0a1b2c3d4e5f"


def test_package_holds_the_filled_manifest_and_icons(tmp_path):
    out = tmp_path / "teams.zip"
    result = CliRunner().invoke(
        app,
        [
            "teams-manifest",
            "--app-id",
            APP_ID.upper(),
            "--host",
            "Guide.Example.gov.uk",
            "--out",
            str(out),
        ],
    )

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        text = package.read("manifest.json").decode()
        manifest = json.loads(text)
        assert png_size(package.read("color.png")) == (COLOR_SIZE, COLOR_SIZE)
        assert png_size(package.read("outline.png")) == (OUTLINE_SIZE, OUTLINE_SIZE)
    assert "{{" not in text
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["guide.example.gov.uk"]
    assert manifest["developer"]["websiteUrl"] == "https://guide.example.gov.uk/"
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    # Teams' schema limits: short name 30, short description 80, command titles 32.
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands)


def test_own_icons_are_used_and_checked(tmp_path):
    color, outline = tmp_path / "c.png", tmp_path / "o.png"
    color.write_bytes(_png(COLOR_SIZE, lambda x, y: (200, 10, 10, 255)))
    outline.write_bytes(_png(OUTLINE_SIZE, lambda x, y: (255, 255, 255, 255)))
    out = tmp_path / "teams.zip"
    args = ["teams-manifest", "--app-id", APP_ID, "--host", "guide.example.org", "--out", str(out)]
    ok = CliRunner().invoke(
        app, [*args, "--color-icon", str(color), "--outline-icon", str(outline)]
    )
    assert ok.exit_code == 0, ok.output
    with zipfile.ZipFile(out) as package:
        assert package.read("color.png") == color.read_bytes()

    wrong = CliRunner().invoke(app, [*args, "--color-icon", str(outline)])
    assert wrong.exit_code == 2
    assert "must be 192×192 pixels" in wrong.output


@pytest.mark.parametrize(
    ("app_id", "host", "message"),
    [
        ("bot-1", "guide.example.org", "is not a GUID"),
        (APP_ID, "https://guide.example.org/", "is not a DNS name"),
        (APP_ID, "localhost", "is not a DNS name"),
        (APP_ID, "guide.example.org/api", "is not a DNS name"),
    ],
)
def test_bad_app_id_or_host_is_refused(app_id, host, message):
    with pytest.raises(ManifestError, match=message):
        render_manifest(app_id, host)
