"""The mock against Prism, same spec, same run, loopback only: requests/second and p99.

Starts `mailsentinel mock` (seeded, in memory) and `prism mock openapi.yaml` (Prism 5.14.2
from bench/package.json; `npm ci` runs here when bench/node_modules is missing), one at a
time, and drives each with wrk (installed from Debian if missing) on:

- list:   GET /api/domains (authenticated; the mock authenticates, rate-limits, queries)
- create: POST /api/tokens (the mock validates, writes, answers the new token)

For scale, `mailsentinel serve` (SQLite file, same services) runs the same two loads.
Also reports how long the mock takes from process start to its first answer.
Usage: .venv/bin/python bench/bench_mock.py [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ensure_wrk, free_port, run_wrk, wait_ready

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PRISM = BENCH / "node_modules" / ".bin" / "prism"
SEED = json.loads((ROOT / "mocks" / "seed.json").read_text(encoding="utf-8"))
TOKEN = SEED["organizations"][0]["owner"]["token"]["secret"]
CREATE_BODY = '{"name":"bench","scopes":["read"]}'


def ensure_prism() -> Path:
    if not PRISM.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BENCH, check=True, capture_output=True)
    return PRISM


def measure(
    name: str, base: str, wrk_bin: str, args: argparse.Namespace, post: Path, token: str = TOKEN
) -> dict[str, object]:
    results: dict[str, object] = {}
    for label, path, script in (("list", "/api/domains", None), ("create", "/api/tokens", post)):
        run_wrk(wrk_bin, base + path, token, 1, args.connections, script)  # warm-up
        rps, p99, bad = run_wrk(wrk_bin, base + path, token, args.duration, args.connections, script)
        results[label] = {"rps": rps, "p99": p99, "non2xx": bad}
        print(f"{name:<6} {label:<7} {rps:>9.0f} req/s   p99 {p99:>9}   non-2xx {bad}", flush=True)
    return results


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk_bin = ensure_wrk()
    prism = ensure_prism()
    post = Path(tempfile.mkdtemp()) / "post.lua"
    post.write_text(
        f"wrk.method = \"POST\"\nwrk.body = '{CREATE_BODY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n",
        encoding="utf-8",
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    results: dict[str, object] = {}

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSENTINEL_")}
    # Limits that never bind: the limiter still counts every request, but wrk sees no 429.
    env.update(MAILSENTINEL_LOG_LEVEL="warning", MAILSENTINEL_RATE_LIMITS="pro=1000000000/0")
    mock = subprocess.Popen(
        [sys.executable, "-m", "sentinel.cli", "mock", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/health", mock, 30, auth)
        print(f"mock ready {ready:.2f} s after start", flush=True)
        results["mockReadySeconds"] = round(ready, 3)
        results["mock"] = measure("mock", f"http://127.0.0.1:{port}", wrk_bin, args, post)
    finally:
        stop(mock)

    port = free_port()
    workdir = tempfile.mkdtemp(prefix="mailsentinel-bench-")
    env["MAILSENTINEL_DATABASE_URL"] = f"sqlite:///{workdir}/bench.db"
    boot = subprocess.run(
        [sys.executable, "-m", "sentinel.cli", "bootstrap", "--email", "bench@example.com", "--org", "Bench",
         "--plan", "pro", "--json"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    serve_token = json.loads(boot.stdout)["token"]
    serve = subprocess.Popen(
        [sys.executable, "-m", "sentinel.cli", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/health", serve, 30, auth)
        results["serve"] = measure("serve", f"http://127.0.0.1:{port}", wrk_bin, args, post, serve_token)
    finally:
        stop(serve)

    port = free_port()
    proc = subprocess.Popen(
        [str(prism), "mock", str(ROOT / "openapi.yaml"), "-h", "127.0.0.1", "-p", str(port), "-v", "fatal"],
        cwd=BENCH, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/api/domains", proc, 60, auth)
        print(f"prism ready {ready:.2f} s after start", flush=True)
        results["prism"] = measure("prism", f"http://127.0.0.1:{port}", wrk_bin, args, post)
    finally:
        stop(proc)

    mock_r, prism_r = results["mock"], results["prism"]
    assert isinstance(mock_r, dict) and isinstance(prism_r, dict)
    for label in ("list", "create"):
        ratio = mock_r[label]["rps"] / prism_r[label]["rps"]
        results[f"{label}Ratio"] = round(ratio, 2)
        print(f"{label}: mock/prism throughput {ratio:.2f}x (target >= 0.7x)")
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_mock.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
