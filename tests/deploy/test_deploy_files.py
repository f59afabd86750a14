"""The Dockerfile and compose file parse, and every command they run works when executed
directly here (no Docker engine runs on this machine): migrations, the indexer, the API worker
and the health checks, against a real PostgreSQL and Chroma server on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from support.services import _pg_bin, chroma_server, free_port, postgres, wait_for

PROJECT = Path(__file__).parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures"
BIN = Path(sys.executable).parent


def dockerfile() -> dict[str, list[str]]:
    """Instructions of the Dockerfile (continuation lines joined), by keyword."""
    text = (PROJECT / "Dockerfile").read_text().replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.setdefault(keyword.upper(), []).append(rest.strip())
    return found


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((PROJECT / "docker-compose.yml").read_text())


def test_dockerfile_parses_and_matches_compose(compose):
    instructions = dockerfile()
    assert instructions["FROM"] == ["python:3.11-slim"]
    cmd = json.loads(instructions["CMD"][0])
    assert cmd == compose["services"]["api"]["command"]
    health = instructions["HEALTHCHECK"][0]
    assert json.loads(health[health.index("[") :]) == ["python", "-m", "hlsguide.healthcheck"]
    assert any("torch==2.13.0" in run for run in instructions["RUN"])
    assert "USER" in instructions


def test_compose_wires_workers_to_shared_stores(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "chroma", "migrate", "indexer", "api", "balancer"}
    api = services["api"]
    assert api["deploy"]["replicas"] >= 2
    assert api["environment"]["HLSGUIDE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert api["environment"]["HLSGUIDE_CHROMA_URL"] == "http://chroma:8000"
    assert api["depends_on"]["indexer"]["condition"] == "service_completed_successfully"
    for name in ("postgres", "chroma", "api"):
        assert services[name]["healthcheck"]["test"][0] == "CMD"
    assert (PROJECT / services["balancer"]["volumes"][0].split(":")[0]).exists()


def _local(command: list[str], env: dict) -> list[str]:
    """A compose command as it runs here: the venv's executables, loopback, a free port."""
    command = [str(BIN / command[0]) if (BIN / command[0]).exists() else command[0], *command[1:]]
    if "--host" in command:
        command[command.index("--host") + 1] = "127.0.0.1"
    if "--port" in command:
        command[command.index("--port") + 1] = env["HLSGUIDE_PORT"]
    return command


@pytest.mark.services
def test_every_command_runs(compose, tmp_path):
    services = compose["services"]
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus)
    with postgres() as database_url, chroma_server(tmp_path / "chroma") as chroma_url:
        env = {
            **os.environ,
            **{k: str(v) for k, v in services["api"]["environment"].items()},
            "HLSGUIDE_DATABASE_URL": database_url,
            "HLSGUIDE_CHROMA_URL": chroma_url,
            "HLSGUIDE_DATA_DIR": str(tmp_path / "data"),
            "HLSGUIDE_CORPUS_PATHS": json.dumps([str(corpus)]),
            "HLSGUIDE_PORT": str(free_port()),
        }
        port = database_url.rsplit(":", 1)[1].split("/")[0]
        pg_isready = services["postgres"]["healthcheck"]["test"][1:]
        ready = subprocess.run(
            [str(_pg_bin() / pg_isready[0]), *pg_isready[1:], "-h", "127.0.0.1", "-p", port]
        )
        assert ready.returncode == 0
        for name in ("migrate", "indexer"):
            subprocess.run(_local(services[name]["command"], env), env=env, check=True, cwd=PROJECT)
        health = _local(services["api"]["healthcheck"]["test"][1:], env)
        assert subprocess.run(health, env=env).returncode == 1  # nothing listening yet
        api = subprocess.Popen(
            _local(services["api"]["command"], env),
            env=env,
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(f"http://127.0.0.1:{env['HLSGUIDE_PORT']}/readyz", api)
            assert subprocess.run(health, env=env).returncode == 0
        finally:
            api.terminate()
            api.wait(timeout=30)


def test_workers_trust_forwarded_headers_from_the_balancer_only(compose):
    services = compose["services"]
    balancer = services["balancer"]["networks"]["default"]["ipv4_address"]
    assert services["api"]["environment"]["FORWARDED_ALLOW_IPS"] == balancer
    assert "--proxy-headers" in services["api"]["command"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(balancer) in ipaddress.ip_network(subnet)


def test_metrics_are_not_served_through_the_public_proxy():
    conf = (PROJECT / "deploy" / "nginx.conf").read_text()
    block = conf[conf.index("location = /metrics") :]
    assert block[: block.index("}")].split("{")[1].split() == ["return", "404;"]


def test_the_forwarded_address_counts_for_rate_limits(tmp_path):
    """What compose sets up, on loopback: the proxy's X-Forwarded-For names the client."""
    env = {
        **os.environ,
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "HLSGUIDE_DATA_DIR": str(tmp_path / "data"),
        "HLSGUIDE_CORPUS_PATHS": json.dumps([str(FIXTURES / "corpus")]),
        "HLSGUIDE_RATE_LIMIT_PER_MINUTE": "2",
        "HLSGUIDE_RATE_LIMIT_BACKEND": "memory",
    }
    port = free_port()
    api = subprocess.Popen(
        [str(BIN / "uvicorn"), "server:app", "--port", str(port), "--proxy-headers"],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/readyz", api, seconds=600)

        def search(client: str) -> int:
            return httpx.post(
                f"{url}/v1/search",
                json={"query": "targets"},
                headers={"X-Forwarded-For": client},
                timeout=30,
            ).status_code

        assert [search("203.0.113.1") for _ in range(3)] == [200, 200, 429]
        assert search("203.0.113.2") == 200  # another client behind the same proxy
    finally:
        api.terminate()
        api.wait(timeout=30)
