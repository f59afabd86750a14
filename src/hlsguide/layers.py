"""The package's layers, lowest first, and its import graph read from the source with ``ast``.

A module may import from its own layer or a lower one, never from a higher one: data and calls
flow one way. ``python -m hlsguide.layers`` prints the graph and any back edge;
tests/test_layers.py fails on one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).parent

# Lowest first. Packages on one line form one layer and may import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "layers", "types", "config", "healthcheck", "asgi"),
    ("corpus",),
    ("privacy",),  # redaction and pseudonyms, applied by the store the composition root opens
    ("storage",),
    ("retrieval",),
    ("lens", "documents"),
    ("observability", "admission"),
    ("answer",),
    ("faq", "insights", "review"),
    ("bootstrap",),  # the composition root: builds every service once
    ("channels", "admin"),  # people-facing surfaces: chat channels and the curators' console
    ("api",),  # create_app mounts the channels
    ("cli",),
)


def layer_of(unit: str) -> int:
    """The layer index of a top-level unit (a subpackage or module) of hlsguide."""
    for index, units in enumerate(LAYERS):
        if unit in units:
            return index
    raise KeyError(f"hlsguide.{unit} has no layer: add it to LAYERS in {__name__}")


def _imported_units(tree: ast.AST, root: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "hlsguide":
                names = [f"hlsguide.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "hlsguide" and len(parts) > 1:
                unit = parts[1]
                # ``from hlsguide import __version__`` names the package's face
                known = (root / unit).is_dir() or (root / f"{unit}.py").is_file()
                yield node.lineno, unit if known else "__init__"


def import_edges(root: Path = PACKAGE) -> dict[tuple[str, str], list[str]]:
    """(importer unit, imported unit) -> the places ("file:line") where it happens."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.relative_to(root).parts[0].removesuffix(".py")
        for line, target in _imported_units(ast.parse(path.read_text("utf-8")), root):
            if target != source:
                where = f"{path.relative_to(root.parent)}:{line}"
                edges.setdefault((source, target), []).append(where)
    return edges


def back_edges(root: Path = PACKAGE) -> list[str]:
    """Every import from a lower layer to a higher one, as readable lines."""
    return [
        f"{source} -> {target}: {', '.join(places)}"
        for (source, target), places in import_edges(root).items()
        if layer_of(source) < layer_of(target)
    ]


def main() -> int:
    """Print the graph layer by layer, then the back edges; exit 1 when there is one."""
    edges = import_edges()
    for index, units in reversed(list(enumerate(LAYERS))):
        for unit in units:
            targets = sorted({t for (s, t) in edges if s == unit}, key=layer_of, reverse=True)
            print(f"{index:2} {unit:14} -> {', '.join(targets) or '-'}")
    problems = back_edges()
    for problem in problems:
        print(f"back edge: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
