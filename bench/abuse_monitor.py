"""The watcher `bench_abuse.py` runs beside the server during each probe (its own process,
so the load generator's GIL cannot slow the measurements down).

Samples the server's VmRSS from /proc every 20 ms, its child processes' (the report
parsers) added (and the server's VmHWM, the kernel's own peak),
GETs /health every 50 ms (and any extra URLs given, e.g. another organization's
/api/me), and kills the server with SIGKILL if its RSS passes --rss-cap (the machine is
shared; a probe that would take gigabytes is a failure already). Runs until its stdin
closes, then prints one JSON object with the figures.
Usage: python bench/abuse_monitor.py --pid PID --health URL [--poll NAME URL TOKEN] ... [--trace FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import sys
import threading
import time
from urllib.parse import urlsplit

STARTED = time.perf_counter()
STARTED_UNIX = time.time()


def _status_kb(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return values


def _descendants(pid: int) -> list[int]:
    """The server's child processes (its report parsers), and theirs."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def _waited_ns(path: str) -> int:
    """Nanoseconds a thread has spent runnable but waiting for a CPU (/proc/.../schedstat)."""
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


class Poller(threading.Thread):
    """GETs one URL every `interval` seconds; records the slowest answer and every status.

    Also the slowest answer less the time the server's event-loop thread and this poller
    spent waiting for a CPU during it (the run-queue wait of /proc/PID/task/TID/schedstat):
    on a machine shared with other work that part is the machine's load, not the server's.
    """

    def __init__(self, name: str, url: str, token: str | None, interval: float, stop: threading.Event,
                 server_pid: int = 0):
        super().__init__(daemon=True)
        self.name, self.url, self.token = name, urlsplit(url), token
        self.interval, self.stop = interval, stop
        self.loop_stat = f"/proc/{server_pid}/task/{server_pid}/schedstat"
        self.slowest_ms = 0.0
        self.slowest_less_waits_ms = 0.0
        self.count = 0
        self.statuses: dict[str, int] = {}
        # (seconds since the watcher started, milliseconds, ms of CPU waits) of every answer (--trace).
        self.samples: list[tuple[float, float]] = []

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        own_stat = f"/proc/self/task/{threading.get_native_id()}/schedstat"
        while not self.stop.is_set():
            waited = _waited_ns(self.loop_stat) + _waited_ns(own_stat)
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=10)
                conn.request("GET", self.url.path or "/", headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                status = str(response.status)
            except TimeoutError:
                status = "timeout"
            except (OSError, http.client.HTTPException):
                status = "error"
            elapsed = (time.perf_counter() - started) * 1000
            waited = _waited_ns(self.loop_stat) + _waited_ns(own_stat) - waited
            self.samples.append((round(started - STARTED, 3), round(elapsed, 1), round(waited / 1e6, 1)))
            self.count += 1
            self.slowest_ms = max(self.slowest_ms, elapsed)
            self.slowest_less_waits_ms = max(self.slowest_less_waits_ms, elapsed - waited / 1e6)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.stop.wait(max(0.0, self.interval - elapsed / 1000))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--health", required=True)
    parser.add_argument("--poll", nargs=3, action="append", default=[], metavar=("NAME", "URL", "TOKEN"))
    parser.add_argument("--rss-cap-mb", type=float, default=3000)
    parser.add_argument("--trace", help="append every poll's (seconds, ms) and the RSS samples to this JSON-lines file")
    args = parser.parse_args()
    stop = threading.Event()
    pollers = [Poller("health", args.health, None, 0.05, stop, args.pid)]
    pollers += [Poller(name, url, token, 0.05, stop, args.pid) for name, url, token in args.poll]
    for p in pollers:
        p.start()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    peak_kb, killed = 0, False
    rss: list[tuple[float, int]] = []
    while not stop.is_set():
        kb = _status_kb(args.pid)
        # The server and its parse workers together: what the machine must hold for it.
        children = _descendants(args.pid)
        total = kb.get("VmRSS", 0) + sum(_status_kb(c).get("VmRSS", 0) for c in children)
        rss.append((round(time.perf_counter() - STARTED, 3), total))
        peak_kb = max(peak_kb, total, kb.get("VmHWM", 0))
        if not killed and peak_kb > args.rss_cap_mb * 1024:
            killed = True
            for pid in (args.pid, *children):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        stop.wait(0.02)
    for p in pollers:
        p.join(15)
    if args.trace:
        with open(args.trace, "a", encoding="utf-8") as f:
            trace = {"started_unix": STARTED_UNIX, "rss_kb": rss, "polls": {p.name: p.samples for p in pollers}}
            f.write(json.dumps(trace) + "\n")
    print(json.dumps({
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "killed_over_cap": killed,
        "pollers": {p.name: {"slowest_ms": round(p.slowest_ms, 1), "count": p.count,
                             "slowest_less_waits_ms": round(p.slowest_less_waits_ms, 1),
                             "statuses": p.statuses} for p in pollers},
    }), flush=True)


if __name__ == "__main__":
    main()
