"""Does slow work starve the rest? Scans against a slow resolver, and the latency of
/health and of another organization's GET /api/me meanwhile (issue 9, D9).

Starts `mailsentinel serve` on SQLite in a temporary directory with a loopback DNS
server that answers every question after --delay-ms, fires --scans concurrent scans
(from one organization, then spread over organizations of --per-org scans each), and
probes /health and another organization's /api/me every 50 ms while they run.
Prints the status codes seen and the slowest and median probe per endpoint.
Usage: .venv/bin/python bench/bench_starvation.py [--scans 60] [--delay-ms 2000] [--per-org 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from support import free_port, wait_ready  # noqa: E402

from sentinel.app import build_services  # noqa: E402
from sentinel.settings import Settings  # noqa: E402
from tests.support.dns_server import SLOW_ZONE as ZONE  # noqa: E402
from tests.support.dns_server import LoopbackDnsServer  # noqa: E402


def _probe(url: str, headers: dict[str, str], stop: threading.Event, seen: list[float], codes: Counter[int]) -> None:
    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            started = time.perf_counter()
            codes[http.get(url, headers=headers).status_code] += 1
            seen.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)


def _round(base: str, tokens: list[tuple[str, str]], other: str, scans: int) -> None:
    """Fire `scans` scans spread over `tokens` (token, domain id); probe meanwhile."""
    stop = threading.Event()
    health: list[float] = []
    me: list[float] = []
    probe_codes: Counter[int] = Counter()
    probes = [
        threading.Thread(target=_probe, args=(f"{base}/health", {}, stop, health, probe_codes)),
        threading.Thread(
            target=_probe, args=(f"{base}/api/me", {"Authorization": f"Bearer {other}"}, stop, me, probe_codes)
        ),
    ]
    for p in probes:
        p.start()
    time.sleep(0.3)
    limits = httpx.Limits(max_connections=scans + 4, max_keepalive_connections=scans + 4)
    with httpx.Client(base_url=base, timeout=300, limits=limits) as http, ThreadPoolExecutor(scans) as pool:
        started = time.perf_counter()
        futures = [
            pool.submit(
                http.post,
                f"/api/domains/{tokens[i % len(tokens)][1]}/scan",
                headers={"Authorization": f"Bearer {tokens[i % len(tokens)][0]}"},
            )
            for i in range(scans)
        ]
        statuses = Counter(f.result().status_code for f in futures)
        elapsed = time.perf_counter() - started
    stop.set()
    for p in probes:
        p.join()
    print(f"  scans: {dict(sorted(statuses.items()))} in {elapsed:.1f} s; probe statuses {dict(probe_codes)}")
    for name, values in (("/health", health), ("other org GET /api/me", me)):
        slowest, median = max(values), statistics.median(values)
        print(f"  {name:24s} slowest {slowest:8.1f} ms   median {median:6.1f} ms   n={len(values)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=60)
    parser.add_argument("--delay-ms", type=float, default=2000)
    parser.add_argument("--per-org", type=int, default=4)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mailsentinel-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    services = build_services(Settings(database_url=url))
    orgs = []
    for i in range(max(1, args.scans // args.per_org) + 1):
        boot = services.organizations.bootstrap(f"starve{i}@example.com", f"Starve {i}", "enterprise")
        principal = services.tokens.authenticate(boot.token)
        domain = services.domains.create(principal, boot.organization_id, "slow.example.com")["domain"]
        orgs.append((boot.token, domain["id"]))
    services.db.dispose()
    other = orgs.pop()[0]

    with LoopbackDnsServer([ZONE], delay_ms=args.delay_ms) as dns:
        port = free_port()
        env = {
            **os.environ,
            "MAILSENTINEL_DATABASE_URL": url,
            "MAILSENTINEL_LOG_LEVEL": "WARNING",
            "MAILSENTINEL_NAMESERVERS": dns.nameserver,
            "MAILSENTINEL_DNS_TIMEOUT": str(args.delay_ms / 1000 + 2),
            "MAILSENTINEL_DNS_LIFETIME": str(args.delay_ms / 1000 * 3 + 5),
            "MAILSENTINEL_RATE_LIMITS": "enterprise=100000000/0",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "sentinel.cli", "serve", "--port", str(port)],
            env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{base}/health", proc)
            print(f"{args.scans} concurrent scans, resolver answering after {args.delay_ms:g} ms")
            print("from one organization:")
            _round(base, orgs[:1], other, args.scans)
            print(f"spread over {len(orgs)} organizations ({args.per_org} each):")
            _round(base, orgs, other, args.scans)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
