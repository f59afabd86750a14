"""Command-line start-up, in one run, each figure the median of N whole-process runs:

1. ``hlsguide --help``;
2. ``hlsguide ask`` cold (the model, the index and the answer in this process);
3. ``hlsguide ask --server URL`` against a uvicorn server on loopback (warmed by the run not
   counted);

each as wall time, CPU time (user + system) and the 1-minute load average (the machine may be
shared), side by side with ``python -c pass`` as the floor, and, with ``--baseline-src DIR``
(another checkout's ``src``), the same commands on that code with the ratio new/baseline.

Usage: python bench/cli.py --data-dir DIR [--runs N] [--baseline-src DIR]
(DIR holds an index: ``HLSGUIDE_DATA_DIR=DIR hlsguide index`` first.)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HLSGUIDE = Path(sys.executable).parent / "hlsguide"
sys.path.insert(0, str(ROOT / "tests"))  # the same service starters the integration tier uses
from support.services import api_workers  # noqa: E402

QUESTION = "How can we commission without outcome targets?"


@dataclass
class Figure:
    """Medians over the counted runs of one command, and the machine's load while they ran."""

    wall: float
    cpu: float  # user + system seconds of the child
    load: float  # 1-minute load average after the runs

    def __str__(self) -> str:
        return f"wall {self.wall:6.3f} s  cpu {self.cpu:6.3f} s  load {self.load:5.2f}"


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> Figure:
    """Median wall and CPU time of ``command`` over ``runs`` runs, after one run not counted.
    CPU time (the OS's accounting of the finished child) moves less than wall time when the
    machine is shared and loaded."""
    walls, cpus = [], []
    for n in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if n:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return Figure(statistics.median(walls), statistics.median(cpus), os.getloadavg()[0])


def measure(src: Path, data_dir: Path, runs: int, server: bool = True) -> dict[str, Figure]:
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
    for name, figure in new.items():
        line = f"{name:24} {figure}"
        if name in old:
            base = old[name]
            line += f"   baseline {base}   ratio wall {figure.wall / base.wall:.2f}"
            line += f" cpu {figure.cpu / base.cpu:.2f}"
        print(line)


if __name__ == "__main__":
    main()
