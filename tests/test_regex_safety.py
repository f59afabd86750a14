"""Every regular expression hlsguide applies to text (questions, uploads, answers, corpus) runs
on pathological inputs within a bound that only catastrophic backtracking can break.

The patterns are found by reading the source (calls to re.compile/search/sub/...) and the
lexicon's pattern lists, so a new regex is covered without being listed here."""

from __future__ import annotations

import ast
import multiprocessing
import re
import time
from importlib import resources
from pathlib import Path

import pytest
import yaml

SOURCE = Path(__file__).resolve().parents[1] / "src" / "hlsguide"
FUNCTIONS = {
    "compile",
    "search",
    "match",
    "fullmatch",
    "sub",
    "subn",
    "findall",
    "finditer",
    "split",
}
FLAGS = {"I": re.I, "IGNORECASE": re.I, "M": re.M, "MULTILINE": re.M, "S": re.S, "DOTALL": re.S}
N = 20_000
# A linear scan of N characters takes well under 10 ms; quadratic backtracking takes seconds.
BOUND_SECONDS = 0.5

INPUTS = [
    " " * N + "x",
    "\t" * N + "x",
    "\n" * N + "x",
    " \n" * (N // 2) + "x",
    "#" + " " * N + "x",
    "# a" + " " * N + "b",
    "# a" + " \t#" * (N // 3) + "b",
    "<!--" * (N // 4),
    "<!-- -->" * (N // 8) + "x",
    "<!--" + " " * N,
    "<" * N,
    "<a " * (N // 3),
    "a" * N + "!",
    "a " * (N // 2) + "!",
    "a." * (N // 2),
    "." * N,
    "[" * N,
    "[a" * (N // 2),
    "[@" * (N // 2),
    "@a" * (N // 2) + "-",
    "](" * (N // 2),
    "*" * N,
    "**a" * (N // 3),
    "_" * N,
    "`" * N,
    "-" * N,
    "1" * N,
    "1 " * (N // 2),
    "A1 " * (N // 3),
    "+44 " * (N // 4),
    "a@b." * (N // 4),
    "http://" + "a" * N,
    "display:" * (N // 8),
    "font-size: 0" + "0" * N,
    "my client " * (N // 10),
    "ignore " * (N // 7),
    "---\n" + "a\n" * (N // 2),
    "\u200b" * N,
]


def _flags(call: ast.Call) -> int:
    value = 0
    for node in ast.walk(ast.Module(body=[ast.Expr(a) for a in call.args[1:]], type_ignores=[])):
        if isinstance(node, ast.Attribute) and node.attr in FLAGS:
            value |= FLAGS[node.attr]
    for keyword in call.keywords:
        for node in ast.walk(keyword.value):
            if isinstance(node, ast.Attribute) and node.attr in FLAGS:
                value |= FLAGS[node.attr]
    return value


def _source_patterns() -> list[tuple[str, re.Pattern]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in FUNCTIONS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str | bytes)
            ):
                where = f"{path.relative_to(SOURCE)}:{node.lineno}"
                found.append((where, re.compile(node.args[0].value, _flags(node))))
    return found


def _lexicon_patterns() -> list[tuple[str, re.Pattern]]:
    lexicon = yaml.safe_load(resources.files("hlsguide.lens").joinpath("lexicon.yaml").read_text())
    found = []

    def walk(value, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "patterns" and isinstance(item, list):
                    found.extend(
                        (f"lexicon.yaml:{where}", re.compile(p, re.I | re.M)) for p in item
                    )
                else:
                    walk(item, f"{where}.{key}" if where else str(key))

    walk(lexicon, "")
    return found


PATTERNS = _source_patterns() + _lexicon_patterns()


def test_the_patterns_were_found():
    places = {where.split(":")[0] for where, _ in PATTERNS}
    assert {"corpus/loaders.py", "documents/sniff.py", "lexicon.yaml"} <= places
    assert len(PATTERNS) > 60


def _time_each_input(pattern: re.Pattern, report) -> None:
    for text in INPUTS:
        subject = text.encode() if isinstance(pattern.pattern, bytes) else text
        started = time.perf_counter()
        for _ in pattern.finditer(subject):
            pass
        pattern.match(subject)
        report.send((text[:12], time.perf_counter() - started))
    report.send(None)


@pytest.mark.parametrize(("where", "pattern"), PATTERNS, ids=[w for w, _ in PATTERNS])
def test_regex_is_linear_on_pathological_input(where, pattern):
    # In a child process: exponential backtracking would otherwise hang the test run.
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_time_each_input, args=(pattern, sender), daemon=True)
    child.start()
    slow = []
    try:
        while True:
            if not receiver.poll(BOUND_SECONDS * 4):
                slow.append("still running after the bound")
                break
            result = receiver.recv()
            if result is None:
                break
            start, elapsed = result
            if elapsed > BOUND_SECONDS:
                slow.append(f"{start!r}... {elapsed:.2f} s")
    finally:
        child.kill()
        child.join()
    assert not slow, f"{where} {pattern.pattern!r} backtracks on: {slow}"
