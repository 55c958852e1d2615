"""`mailsentinel mock` as a client developer runs it: answers, prints the token, takes --seed.

How fast it starts is measured in bench/ (and stated in the README), not asserted here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.mock.conftest import OWNER_TOKEN

ROOT = Path(__file__).resolve().parents[2]
# Only against a mock that never comes up: the test asserts what it answers, not how soon.
HANG_GUARD = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSENTINEL_")}
    env["MAILSENTINEL_LOG_LEVEL"] = "warning"
    return env


def _wait_for_health(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"the mock never answered /health (exit code {proc.poll()})")


def test_mock_command_serves_the_seed_and_prints_the_token() -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentinel.cli", "mock", "--port", str(port)],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_for_health(url, proc)
        me = httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {OWNER_TOKEN}"}, timeout=60)
        assert me.status_code == 200
        assert me.json()["data"]["user"]["email"] == "owner@example.com"
        domains = httpx.get(f"{url}/api/domains", headers={"Authorization": f"Bearer {OWNER_TOKEN}"}, timeout=60)
        assert {d["domain"] for d in domains.json()["data"]["domains"]} >= {"example.com", "example.net"}
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert OWNER_TOKEN in output
    assert url in output


def test_a_bad_seed_file_stops_the_command_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sentinel.cli", "mock", "--seed", str(tmp_path / "absent.json"), "--port", "1"],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "Cannot read the seed file" in result.stderr
