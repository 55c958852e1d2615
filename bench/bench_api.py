"""Requests/second of an authenticated GET /api/domains (50 domains) on a real server.

Starts `mailsentinel serve` on SQLite in a temporary directory, fills it through the
services, and drives it with wrk (installed from Debian if missing) over loopback.
Usage: .venv/bin/python bench/bench_api.py [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ensure_wrk, free_port, run_wrk, wait_ready

from sentinel.app import build_services
from sentinel.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk = ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="mailsentinel-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    services = build_services(Settings(database_url=url))
    boot = services.organizations.bootstrap("bench@example.com", "Bench", "enterprise")
    principal = services.tokens.authenticate(boot.token)
    for i in range(50):
        services.domains.create(principal, boot.organization_id, f"bench{i:02d}.example.com")
    services.db.dispose()

    port = free_port()
    env = {
        **os.environ,
        "MAILSENTINEL_DATABASE_URL": url,
        "MAILSENTINEL_LOG_LEVEL": "WARNING",
        # The benchmark measures the request path, not the plan limits.
        "MAILSENTINEL_RATE_LIMITS": "enterprise=100000000/0",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("mailsentinel")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/health", server)
        check = httpx.get(f"{base}/api/domains", headers={"Authorization": f"Bearer {boot.token}"})
        assert check.status_code == 200 and check.json()["data"]["pagination"]["total"] == 50, check.text
        run_wrk(wrk, f"{base}/api/domains", boot.token, 2, args.connections)  # warm-up
        rps, p99, _ = run_wrk(wrk, f"{base}/api/domains", boot.token, args.duration, args.connections)
        health_rps, health_p99, _ = run_wrk(wrk, f"{base}/health", boot.token, args.duration, args.connections)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"GET /api/domains (authenticated, 50 domains, SQLite): {rps:8.0f} req/s   p99 {p99}")
    print(f"GET /health (no auth, one DB ping):                   {health_rps:8.0f} req/s   p99 {health_p99}")
    print(f"wrk -t2 -c{args.connections} -d{args.duration}s against one uvicorn worker on loopback (2 cores shared)")


if __name__ == "__main__":
    main()
