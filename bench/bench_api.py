"""GET /api/domains (authenticated, 50 domains): `serve` against the framework's ceiling and
against the app a user would write instead, in one run on one database and one payload.

Targets, each alone on the machine while wrk drives it (`wrk -t2 -c16`, loopback):
- serve, 1 worker (rate limits counted in memory, lifted so every answer is the real list);
  the page is kept under the organization's domain version, read on every request;
- the same with the list cache off (MAILSENTINEL_LIST_CACHE_PAGES=0): every page queried and
  rendered anew, the cost of the first request after each change to the domains;
- serve, 2 workers (`--workers 2`) counting in Redis (a key prefix of this run's own, deleted after);
- stub: connexion on the same openapi.yaml with stub handlers returning the same bytes
  (bench/api_anchors.py: security, validation and routing, no database): the ceiling;
- FastAPI + SQLAlchemy doing the same two queries on the same SQLite file, same JSON.
Rounds are interleaved and the best round of each target is reported, so a burst of load
from elsewhere on the shared machine costs every target alike.

Usage: .venv-bench/bin/python bench/bench_api.py [--duration 8] [--rounds 2] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ensure_wrk, free_port, run_wrk, wait_ready

from sentinel.app import build_services
from sentinel.settings import Settings

HERE = Path(__file__).resolve().parent
REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class Target:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    results: list[tuple[float, str]] = field(default_factory=list)

    def best(self) -> tuple[float, str]:
        return max(self.results, key=lambda r: r[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk = ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="mailsentinel-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    services = build_services(Settings(database_url=url))
    boot = services.organizations.bootstrap("bench@example.com", "Bench", "enterprise")
    principal = services.tokens.authenticate(boot.token)
    for i in range(50):
        services.domains.create(principal, boot.organization_id, f"bench{i:02d}.example.com", f"Domain {i}")
    services.db.dispose()
    prefix = f"mailsentinel-bench-{uuid.uuid4().hex[:8]}"
    serve_env = {
        "MAILSENTINEL_DATABASE_URL": url,
        "MAILSENTINEL_LOG_LEVEL": "WARNING",
        # The benchmark measures the request path, not the plan limits.
        "MAILSENTINEL_RATE_LIMITS": "enterprise=100000000/0",
    }
    mailsentinel = str(Path(sys.executable).with_name("mailsentinel"))
    payload = tmp / "payload.json"
    anchors = [sys.executable, str(HERE / "api_anchors.py")]
    anchor_args = ["--database-url", url, "--payload", str(payload)]
    targets = [
        Target("serve, 1 worker", [mailsentinel, "serve"], serve_env),
        # Every page read anew: what a request costs right after a change to the domains.
        Target("serve, 1 worker, list cache off", [mailsentinel, "serve"],
               {**serve_env, "MAILSENTINEL_LIST_CACHE_PAGES": "0"}),
        Target("serve, 2 workers, Redis", [mailsentinel, "serve", "--workers", "2"],
               {**serve_env, "MAILSENTINEL_REDIS_URL": REDIS, "MAILSENTINEL_REDIS_KEY_PREFIX": prefix}),
        Target("connexion stub handlers (ceiling)", [*anchors, "stub", *anchor_args]),
        Target("FastAPI + SQLAlchemy (anchor)", [*anchors, "fastapi", *anchor_args]),
    ]
    headers = {"Authorization": f"Bearer {boot.token}"}
    expected = None
    size = 0
    try:
        for _ in range(args.rounds):
            for target in targets:
                port = free_port()
                env = {**os.environ, **target.env, "MAILSENTINEL_PORT": str(port)}
                server = subprocess.Popen([*target.command, "--port", str(port)], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    base = f"http://127.0.0.1:{port}"
                    wait_ready(f"{base}/api/domains", server, timeout=60, headers=headers)
                    answer = httpx.get(f"{base}/api/domains", headers=headers)
                    assert answer.status_code == 200, answer.text
                    if expected is None:
                        expected = answer.json()
                        assert expected["data"]["pagination"]["total"] == 50, answer.text
                        payload.write_bytes(answer.content)
                        size = len(answer.content)
                    # The same answer from every target (the anchor builds it with the same views).
                    assert answer.json() == expected, f"{target.name} answers differently"
                    run_wrk(wrk, f"{base}/api/domains", boot.token, 2, args.connections)  # warm-up
                    rps, p99, non_2xx = run_wrk(wrk, f"{base}/api/domains", boot.token, args.duration,
                                                args.connections)
                    assert non_2xx == 0, f"{target.name}: {non_2xx} answers were not 2xx"
                    target.results.append((rps, p99))
                finally:
                    server.terminate()
                    server.wait(timeout=20)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            import redis

            client = redis.Redis.from_url(REDIS)
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)
        except Exception as exc:  # Redis down: the 2-worker row failed already
            print(f"(could not clean Redis prefix {prefix}: {exc})")
    load = os.getloadavg()[0]
    print(f"GET /api/domains, authenticated, 50 domains ({size:,} bytes), SQLite; "
          f"wrk -t2 -c{args.connections} -d{args.duration}s, best of {args.rounds} interleaved rounds; "
          f"load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'target':38} {'req/s':>8} {'p99':>10}   rounds")
    for target in targets:
        rps, p99 = target.best()
        rounds = ", ".join(f"{r:.0f}" for r, _ in target.results)
        print(f"{target.name:38} {rps:8.0f} {p99:>10}   {rounds}")
    serve1, uncached, serve2, stub, anchor = (t.best() for t in targets)
    print(f"serve 1 worker / FastAPI:  {serve1[0] / anchor[0]:.2f}x (goal >= 2.5x)")
    print(f"serve 1 worker / stub:     {serve1[0] / stub[0]:.2f}x (goal >= 0.5x)")
    print(f"serve 2 workers / FastAPI: {serve2[0] / anchor[0]:.2f}x")
    print(f"list cache off / FastAPI:  {uncached[0] / anchor[0]:.2f}x; / stub {uncached[0] / stub[0]:.2f}x "
          f"(every page read anew, as after each change)")
    print(f"serve 1 worker p99:        {serve1[1]} (goal < 30 ms at 16 connections)")
    print(json.dumps({t.name: t.results for t in targets}))


if __name__ == "__main__":
    main()
