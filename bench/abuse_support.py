"""The machinery of `bench_abuse.py`: a `mailsentinel serve` subprocess per probe, the
watcher process beside it, status counting, and the results table."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from support import free_port, wait_ready

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).with_name("mailsentinel")
RSS_BAR_MB = 300.0
HEALTH_BAR_MS = 100.0


class Server:
    """`mailsentinel serve` on a free loopback port, in its own process group."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.port = free_port()
        with self.log.open("ab") as log:
            log.write(f"\n=== serve on port {self.port} ===\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_ready(f"{self.base}/health", self.proc, timeout=60)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()  # work still running (a record bomb): no graceful end
                self.proc.wait(timeout=10)
        self.proc = None


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run `mailsentinel <args> --json` and return its JSON."""
    out = subprocess.run([str(BIN), *args, "--json"], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


class Watch:
    """The watcher process (bench/abuse_monitor.py) for the duration of a `with` block."""

    def __init__(self, server: Server, rss_cap_mb: float, polls: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
                 trace: str | None = None) -> None:
        assert server.proc is not None
        command = [sys.executable, str(HERE / "abuse_monitor.py"), "--pid", str(server.proc.pid),
                   "--health", f"{server.base}/health", "--rss-cap-mb", str(rss_cap_mb)]
        if trace:
            command += ["--trace", trace]
        for name, path, token in polls:
            command += ["--poll", name, f"{server.base}{path}", token]
        self.command = command
        self.result: dict[str, Any] = {}

    def __enter__(self) -> Watch:
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        time.sleep(0.2)  # first samples before the probe starts
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self.proc.communicate(timeout=60)  # closes its stdin: the watcher reports
        self.result = json.loads(out)


@dataclass
class Outcome:
    """What one probe saw: statuses, the watcher's figures, and its own checks."""

    name: str
    title: str
    statuses: Counter[str] = field(default_factory=Counter)
    peak_mb: float = 0.0
    health_ms: float = 0.0
    # The slowest /health less the CPU waits (machine load) during it: see abuse_monitor.Poller.
    health_less_waits_ms: float = 0.0
    health_statuses: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    killed: bool = False
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: str) -> str:
        with self._lock:
            self.statuses[status] += 1
        return status

    def check(self, ok: bool, failure: str) -> bool:
        if not ok:
            self.failures.append(failure)
        return ok

    def note(self, text: str) -> None:
        self.notes.append(text)

    def absorb(self, watch: Watch) -> None:
        r = watch.result
        self.peak_mb = max(self.peak_mb, r["peak_rss_mb"])
        health = r["pollers"]["health"]
        self.health_ms = max(self.health_ms, health["slowest_ms"])
        self.health_less_waits_ms = max(self.health_less_waits_ms, health.get("slowest_less_waits_ms", 0.0))
        for k, v in health["statuses"].items():
            self.health_statuses[k] = self.health_statuses.get(k, 0) + v
        self.killed = self.killed or r["killed_over_cap"]
        for name, p in r["pollers"].items():
            if name != "health":
                self.extra[name] = p

    def verdict(self) -> tuple[str, list[str]]:
        if self.skipped:
            return "skip", [self.skipped]
        why = []
        if self.killed:
            why.append("server killed by the bench: RSS passed the safety cap")
        if self.peak_mb >= RSS_BAR_MB:
            why.append(f"peak RSS {self.peak_mb:.0f} MB >= {RSS_BAR_MB:.0f}")
        if self.health_ms >= HEALTH_BAR_MS:
            why.append(f"/health took {self.health_ms:.0f} ms >= {HEALTH_BAR_MS:.0f}")
        bad_health = {k: v for k, v in self.health_statuses.items() if k != "200"}
        if bad_health:
            why.append(f"/health answered {fmt_counts(bad_health)}")
        if self.statuses.get("500"):
            why.append(f"{self.statuses['500']} x 500")
        why += self.failures
        return ("FAIL" if why else "pass"), why


def fmt_counts(counts: dict[str, int]) -> str:
    def key(item: tuple[str, int]) -> tuple[int, str]:
        return (0, item[0]) if item[0].isdigit() else (1, item[0])
    return " ".join(f"{k}x{v}" for k, v in sorted(counts.items(), key=key)) or "-"


def status_of(outcome: Outcome, call: Any) -> tuple[str, httpx.Response | None]:
    """Run one HTTP call, count its status (or how it failed) and return both."""
    try:
        response = call()
    except httpx.TimeoutException:
        return outcome.count("timeout"), None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        return outcome.count("closed"), None
    except httpx.ConnectError:
        return outcome.count("refused"), None
    if response.status_code in (429, 503) and "retry-after" not in response.headers:
        outcome.check(False, f"a {response.status_code} without Retry-After ({response.request.url.path})")
    return outcome.count(str(response.status_code)), response


def print_table(outcomes: list[Outcome], header: str) -> None:
    rows = [("probe", "statuses seen", "peak RSS MB", "slowest /health ms", "less CPU waits", "verdict")]
    for o in outcomes:
        verdict, _ = o.verdict()
        rows.append((f"{o.name} {o.title}", fmt_counts(dict(o.statuses)) if not o.skipped else "-",
                     f"{o.peak_mb:.0f}" if not o.skipped else "-",
                     f"{o.health_ms:.0f}" if not o.skipped else "-",
                     f"{o.health_less_waits_ms:.0f}" if not o.skipped else "-", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    print()
    print(header)
    line = "  ".join("-" * w for w in widths)
    for i, r in enumerate(rows):
        cells = enumerate(zip(r, widths, strict=True))
        print("  ".join(c.ljust(w) if j in (0, 1, 5) else c.rjust(w) for j, (c, w) in cells))
        if i == 0:
            print(line)
    print()
    for o in outcomes:
        verdict, why = o.verdict()
        extra = [f"{name}: slowest {p['slowest_ms']:.0f} ms, {p.get('slowest_less_waits_ms', 0):.0f} ms less CPU "
                 f"waits ({fmt_counts(p['statuses'])})"
                 for name, p in o.extra.items()]
        lines = [*why, *o.notes, *extra]
        if lines:
            print(f"{o.name} ({o.seconds:.0f} s) {verdict}:")
            for text in lines:
                print(f"    - {text}")
