"""Real system services for integration tiers: PostgreSQL and a Chroma server on 127.0.0.1.
Locally a missing service skips its tests with the reason; under CI=true it fails them."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def missing(reason: str):
    """Skip locally, fail in CI: a system part the tier needs is not there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must provide it: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres():
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields its SQLAlchemy URL."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        missing("PostgreSQL is not installed (apt-get install postgresql)")
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
    # Its own top-level folder: the server's user must be able to reach it, and pytest's
    # temp folders are private to root.
    root = Path(tempfile.mkdtemp(prefix="hlsguide-pg-"))
    data, sockets = root / "pgdata", root / "pgsock"
    for path in (root, sockets):
        path.mkdir(exist_ok=True)
        if run_as:
            shutil.chown(path, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "hls",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {sockets} -h 127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(root / "pg.log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "hls",
                "hlsguide",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://hls@127.0.0.1:{port}/hlsguide"
    finally:
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def chroma_server(path: Path):
    """`chroma run` on 127.0.0.1; yields its URL."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(chroma).exists():
        missing("the chroma CLI (chromadb package) is not installed")
    port = free_port()
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/api/v2/heartbeat", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@contextmanager
def api_workers(env: dict, count: int = 1, cwd: Path | None = None):
    """``count`` uvicorn processes serving ``server:app`` with ``env``; yields their URLs once
    every one reports ready."""
    cwd = cwd or Path(__file__).resolve().parents[2]
    workers, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "server:app",
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                    ],
                    cwd=cwd,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, worker in zip(urls, workers, strict=True):
            wait_for(f"{url}/readyz", worker, seconds=600)
        yield urls
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)


@contextmanager
def serving(app, host: str = "127.0.0.1"):
    """``app`` served by a real uvicorn on a free port in this process; yields its URL."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
