"""What the HTTP benchmarks share: free loopback ports, wrk, and waiting for a server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian when missing and allowed (root with apt-get)."""
    path = shutil.which("wrk")
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
        path = shutil.which("wrk")
    if path is None:
        sys.exit("wrk is needed: apt-get install wrk")
    return path


def run_wrk(
    wrk: str, url: str, token: str, duration: int, connections: int, script: Path | None = None,
    headers: tuple[str, ...] = (),
) -> tuple[float, str, int]:
    """(requests/second, p99 latency, non-2xx responses) of one wrk run against a loopback URL."""
    command = [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Authorization: Bearer {token}"]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The latency distribution's own line: a bare "99%" also ends figures such as "89.99%".
    p99 = re.search(r"^\s*99%\s+(\S+)\s*$", out, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p99.group(1) if p99 else "?", int(non_2xx.group(1)) if non_2xx else 0


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], timeout: float = 30, headers: dict[str, str] | None = None
) -> float:
    """Seconds until `url` answers at all; raises RuntimeError when the server exits or never does."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, headers=headers or {}, timeout=1)
            return time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} not ready after {timeout} s")
