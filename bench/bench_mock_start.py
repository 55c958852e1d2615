"""How long `mailsentinel mock` takes from process start to its first answer.

Runs `mailsentinel mock --port P` N times (default 5), polls `/health` until it answers 200,
and prints the wall time and the CPU time the process used until then (from /proc, Linux).
CPU time is the cost itself; wall time equals it only on an idle machine.

    .venv/bin/python bench/bench_mock_start.py [RUNS]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

MAILSENTINEL = str(Path(sys.executable).with_name("mailsentinel"))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def one_start() -> tuple[float, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSENTINEL_")}
    started = time.perf_counter()
    proc = subprocess.Popen([MAILSENTINEL, "mock", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    return time.perf_counter() - started, cpu_seconds(proc.pid)
            except httpx.TransportError:
                time.sleep(0.01)
        raise SystemExit(f"the mock exited with {proc.returncode}")
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    results = [one_start() for _ in range(runs)]
    print("wall s:", " ".join(f"{w:.2f}" for w, _ in results))
    print("cpu s: ", " ".join(f"{c:.2f}" for _, c in results))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
