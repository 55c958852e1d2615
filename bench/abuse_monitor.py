"""The watcher `bench_abuse.py` runs beside the server during each probe (its own process,
so the load generator's GIL cannot slow the measurements down).

Samples the server's VmRSS from /proc every 20 ms (and VmHWM, the kernel's own peak),
GETs /health every 50 ms (and any extra URLs given, e.g. another organization's
/api/me), and kills the server with SIGKILL if its RSS passes --rss-cap (the machine is
shared; a probe that would take gigabytes is a failure already). Runs until its stdin
closes, then prints one JSON object with the figures.
Usage: python bench/abuse_monitor.py --pid PID --health URL [--poll NAME URL TOKEN] ...
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


class Poller(threading.Thread):
    """GETs one URL every `interval` seconds; records the slowest answer and every status."""

    def __init__(self, name: str, url: str, token: str | None, interval: float, stop: threading.Event):
        super().__init__(daemon=True)
        self.name, self.url, self.token = name, urlsplit(url), token
        self.interval, self.stop = interval, stop
        self.slowest_ms = 0.0
        self.count = 0
        self.statuses: dict[str, int] = {}

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        while not self.stop.is_set():
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
            self.count += 1
            self.slowest_ms = max(self.slowest_ms, elapsed)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.stop.wait(max(0.0, self.interval - elapsed / 1000))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--health", required=True)
    parser.add_argument("--poll", nargs=3, action="append", default=[], metavar=("NAME", "URL", "TOKEN"))
    parser.add_argument("--rss-cap-mb", type=float, default=3000)
    args = parser.parse_args()
    stop = threading.Event()
    pollers = [Poller("health", args.health, None, 0.05, stop)]
    pollers += [Poller(name, url, token, 0.05, stop) for name, url, token in args.poll]
    for p in pollers:
        p.start()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    peak_kb, killed = 0, False
    while not stop.is_set():
        kb = _status_kb(args.pid)
        peak_kb = max(peak_kb, kb.get("VmRSS", 0), kb.get("VmHWM", 0))
        if not killed and peak_kb > args.rss_cap_mb * 1024:
            killed = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(args.pid, signal.SIGKILL)
        stop.wait(0.02)
    for p in pollers:
        p.join(15)
    print(json.dumps({
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "killed_over_cap": killed,
        "pollers": {p.name: {"slowest_ms": round(p.slowest_ms, 1), "count": p.count,
                             "statuses": p.statuses} for p in pollers},
    }), flush=True)


if __name__ == "__main__":
    main()
