"""The package's imports point one way: down the layers listed in hlsguide.layers."""

from __future__ import annotations

import ast

from hlsguide import layers


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    assert layers.back_edges() == []


def test_every_unit_of_the_package_has_a_layer():
    units = {path.name.removesuffix(".py") for path in layers.PACKAGE.iterdir()}
    units -= {"__pycache__", "py.typed"}
    for unit in units:
        layers.layer_of(unit)  # raises KeyError naming the unit


def test_the_api_uses_only_the_faces_of_the_channels():
    """``create_app`` mounts a channel through its package (hlsguide.channels.slack), never
    through the modules inside it."""
    deep = []
    for path in (layers.PACKAGE / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("hlsguide.channels.") and module.count(".") > 2:
                deep.append(f"{path.name}: {module}")
    assert deep == []


def test_a_back_edge_is_reported(tmp_path):
    package = tmp_path / "hlsguide"
    (package / "storage").mkdir(parents=True)
    (package / "storage" / "store.py").write_text("from hlsguide.api.app import create_app\n")
    (package / "api").mkdir()
    (package / "api" / "app.py").write_text("from hlsguide.storage import store\n")
    [problem] = layers.back_edges(package)
    assert problem.startswith("storage -> api: hlsguide/storage/store.py:1")
