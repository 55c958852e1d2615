"""The issue #9 probes (D1-D11, D13, D14) against a live `mailsentinel serve`, measured.

Each probe gets a fresh server subprocess on loopback (SQLite in a temporary directory,
or --postgres URL), so its peak RSS is its own and work a probe left running (a record
bomb) cannot spill into the next. A watcher process samples the server's VmRSS/VmHWM
and polls /health every 50 ms meanwhile. Prints one table: statuses seen, peak RSS,
slowest /health and a verdict against the issue's bar (peak < 300 MB, /health < 100 ms,
no 500, plus each probe's own check). Every probe is bounded in count and time and
talks to 127.0.0.1 only; files are generated here, seeded.
Usage: .venv/bin/python bench/bench_abuse.py [--postgres URL] [--only D3,D4] [--rss-cap-mb 3000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import abuse_probes  # noqa: E402
from abuse_support import Outcome, Server, Watch, cli, print_table  # noqa: E402

from tests.support.dns_server import LoopbackDnsServer  # noqa: E402


@dataclass
class Org:
    id: str
    token: str
    domain: str
    domain_id: str


class Bench:
    """What every probe is given: the environment, the users, a fresh server, orgs."""

    def __init__(self, args: argparse.Namespace, tmp: Path, dns: LoopbackDnsServer, run: str) -> None:
        self.args = args
        self.tmp = tmp
        self.dns = dns
        self.run = run
        self.postgres = bool(args.postgres)
        url = args.postgres or f"sqlite:///{tmp / 'abuse.db'}"
        unlimited = "1000000000/0"
        self.env = {
            **os.environ,
            "MAILSENTINEL_DATABASE_URL": url,
            "MAILSENTINEL_LOG_LEVEL": "WARNING",
            # The probes measure the server's resource bounds, not the plan limits.
            "MAILSENTINEL_RATE_LIMITS": f"free={unlimited},pro={unlimited},enterprise={unlimited}",
            "MAILSENTINEL_NAMESERVERS": dns.nameserver,
        }
        self.log = tmp / "serve.log"
        self.server: Server | None = None
        self.owner = cli(self.env, "bootstrap", "--email", f"owner-{self.run}@bench.example.com",
                         "--org", f"Abuse {self.run}", "--plan", "enterprise")
        self.second = cli(self.env, "bootstrap", "--email", f"second-{self.run}@bench.example.com",
                          "--org", f"Second {self.run}", "--plan", "enterprise")
        self.other = cli(self.env, "bootstrap", "--email", f"other-{self.run}@bench.example.com",
                         "--org", f"Other {self.run}", "--plan", "enterprise")
        self.second_email = f"second-{self.run}@bench.example.com"

    @property
    def base(self) -> str:
        assert self.server is not None
        return self.server.base

    def fresh(self) -> Server:
        """Stop the current server (if any) and start a new one."""
        if self.server is not None:
            self.server.stop()
        self.server = Server(self.env, self.log).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def client(self, token: str | None = None, timeout: float = 30) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Plain HTTP on loopback: verify=False spares loading the CA bundle, ~20 ms of CPU per
        # client, which 60 clients at once spent beside the server on the 2 shared cores.
        return httpx.Client(base_url=self.base, headers=headers, timeout=timeout, trust_env=False, verify=False)

    def token_for(self, token: str, org_id: str, name: str = "bench") -> str:
        with self.client(token) as http:
            r = http.post("/api/tokens", json={"name": name, "organizationId": org_id})
            r.raise_for_status()
            return str(r.json()["data"]["token"]["token"])

    def org(self, label: str, domain: str | None = None) -> Org:
        """A new organization of the owner, a token bound to it, and one domain."""
        name = domain or f"{label.lower()}-{self.run}.example.com"
        with self.client(self.owner["token"]) as http:
            r = http.post("/api/organizations", json={"name": f"{label} {self.run}", "plan": "enterprise"})
            r.raise_for_status()
            org_id = r.json()["data"]["organization"]["id"]
        token = self.token_for(self.owner["token"], org_id, label)
        with self.client(token) as http:
            r = http.post(f"/api/organizations/{org_id}/domains", json={"domain": name})
            r.raise_for_status()
            domain_id = r.json()["data"]["domain"]["id"]
        return Org(org_id, token, name, domain_id)

    @contextmanager
    def watch(self, outcome: Outcome, polls: list[tuple[str, str, str]] | None = None) -> Iterator[Watch]:
        assert self.server is not None
        with Watch(self.server, self.args.rss_cap_mb, polls or [], self.args.trace) as w:
            yield w
        outcome.absorb(w)


def scan_zone(run: str) -> str:
    """The zone the D9 scans ask about (through the slow loopback DNS server)."""
    d = f"scan-{run}"
    return f"""$ORIGIN example.com.
$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ NS ns1
ns1 A 127.0.0.53
{d} TXT "v=spf1 include:_spf.{d}.example.com include:_spf2.{d}.example.com -all"
_spf.{d} TXT "v=spf1 ip4:192.0.2.0/24 include:_spf3.{d}.example.com -all"
_spf2.{d} TXT "v=spf1 ip6:2001:db8::/32 -all"
_spf3.{d} TXT "v=spf1 ip4:198.51.100.0/24 -all"
_dmarc.{d} TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{d}.example.com"
{d} MX 10 mx.{d}.example.com.
mx.{d} A 127.0.0.25
"""


PROBES: list[tuple[str, str, Callable[[Bench, Outcome], None]]] = abuse_probes.PROBES


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL database instead of SQLite")
    parser.add_argument("--only", help="comma-separated probe names, e.g. D3,D4")
    parser.add_argument("--rss-cap-mb", type=float, default=3000,
                        help="kill the server past this RSS (the machine is shared); default 3000")
    parser.add_argument("--dns-delay-ms", type=float, default=1000, help="the slow resolver's delay (D9)")
    parser.add_argument("--trace", metavar="FILE",
                        help="append each watch's samples (every poll's time and ms, RSS) to FILE, JSON lines")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any probe fails")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args()
    wanted = {p.strip().upper() for p in args.only.split(",")} if args.only else None
    tmp = Path(tempfile.mkdtemp(prefix="mailsentinel-abuse-"))
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    outcomes: list[Outcome] = []
    run = secrets.token_hex(3)
    dns = LoopbackDnsServer(scan_zone(run), delay_ms=args.dns_delay_ms).start()
    try:
        bench = Bench(args, tmp, dns, run)
        for name, title, probe in PROBES:
            if wanted and name not in wanted:
                continue
            outcome = Outcome(name, title)
            print(f"{name} {title} ...", flush=True)
            t0 = time.perf_counter()
            try:
                probe(bench, outcome)
            except Exception as exc:  # a bench bug or a dead server: report it, go on
                outcome.failures.append(f"probe aborted: {type(exc).__name__}: {str(exc)[:200]}")
                with bench.log.open("a") as log:
                    traceback.print_exc(file=log)
            finally:
                bench.stop()
            outcome.seconds = time.perf_counter() - t0
            outcomes.append(outcome)
    finally:
        dns.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE).stdout.strip()
    db = "PostgreSQL" if args.postgres else "SQLite"
    kept = f"; kept {tmp}" if args.keep else ""
    print_table(outcomes, f"bench-abuse on {db}, commit {commit or '?'}, {time.perf_counter() - started:.0f} s, "
                          f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
                          f"(bar: peak RSS < 300 MB, /health < 100 ms, no 500{kept})")
    failed = any(o.verdict()[0] == "FAIL" for o in outcomes)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    if failed and args.strict:
        sys.exit(1)


if __name__ == "__main__":
    main()
