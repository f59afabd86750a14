"""Command-line start-up, in one run, each figure the median of N whole-process runs:

1. ``hlsguide --help``;
2. ``hlsguide ask`` cold (the model, the index and the answer in this process);
3. ``hlsguide ask --server URL`` against a uvicorn server on loopback (warmed by the run not
   counted);

side by side with ``python -c pass`` as the floor, and, with ``--baseline-src DIR`` (another
checkout's ``src``), the same commands on that code with the ratio new/baseline.

Usage: python bench/cli.py --data-dir DIR [--runs N] [--baseline-src DIR]
(DIR holds an index: ``HLSGUIDE_DATA_DIR=DIR hlsguide index`` first.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HLSGUIDE = Path(sys.executable).parent / "hlsguide"
sys.path.insert(0, str(ROOT / "tests"))  # the same service starters the integration tier uses
from support.services import api_workers  # noqa: E402

QUESTION = "How can we commission without outcome targets?"


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall time of ``command`` over ``runs`` runs, after one run not counted."""
    samples = []
    for n in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
        if n:
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(src: Path, data_dir: Path, runs: int, server: bool = True) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src), "HLSGUIDE_DATA_DIR": str(data_dir)}
    figures = {
        "python -c pass": median_seconds([sys.executable, "-c", "pass"], env, runs),
        "hlsguide --help": median_seconds([str(HLSGUIDE), "--help"], env, runs),
        "hlsguide ask (cold)": median_seconds([str(HLSGUIDE), "ask", QUESTION], env, runs),
    }
    if not server:  # a baseline from before --server existed
        return figures
    with api_workers({**env, "HLSGUIDE_BUILD_INDEX_ON_START": "false"}, 1, ROOT) as urls:
        command = [str(HLSGUIDE), "ask", QUESTION, "--server", urls[0]]
        figures["hlsguide ask --server"] = median_seconds(command, env, runs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-src", type=Path)
    args = parser.parse_args()
    new = measure(ROOT / "src", args.data_dir, args.runs)
    old = {}
    if args.baseline_src:
        old = measure(args.baseline_src, args.data_dir, args.runs, server=False)
    for name, seconds in new.items():
        line = f"{name:24} {seconds:7.3f} s"
        if name in old:
            line += f"   baseline {old[name]:7.3f} s   ratio {seconds / old[name]:.2f}"
        print(line)


if __name__ == "__main__":
    main()
