"""The mock against Prism, same spec, same run, loopback only: requests/second and p99.

Starts `mailsentinel mock` (seeded, in memory) and `prism mock openapi.yaml` (Prism 5.14.2
from bench/package.json; `npm ci` runs here when bench/node_modules is missing), one at a
time, and drives each with wrk (installed from Debian if missing) on:

- list:   GET /api/domains (authenticated; the mock authenticates, rate-limits, queries)
- create: POST /api/tokens (the mock validates, writes, answers the new token)

For scale, `mailsentinel serve` (SQLite file, same services) runs the same two loads.
Also reports how long the mock takes from process start to its first answer.
Both answer the same number of domains: the mock's seeded organization is filled to 50
through the API, and Prism gets the mock's own 5- and 50-domain answers as named examples
in a copy of the spec (`Prefer: example=domains5|domains50`). The mock's limits are lifted
(every answer is the real list, not a 429); authentication, state and validation stay on.
Usage: .venv/bin/python bench/bench_mock.py [--duration 8] [--connections 16]
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

import httpx
import yaml
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


LIST_SIZES = (5, 50)


def measure(
    name: str, base: str, wrk_bin: str, args: argparse.Namespace, post: Path, token: str = TOKEN, prism: bool = False
) -> dict[str, object]:
    """list (5 and 50 domains in each answer) and create, each after a warm-up of its own."""
    results: dict[str, object] = {}
    loads: list[tuple[str, str, Path | None, tuple[str, ...]]] = [
        # Prism answers the named example of the size asked for; the others answer the real page.
        (f"list{n}", f"/api/domains?limit={n}", None, (f"Prefer: example=domains{n}",) if prism else ())
        for n in LIST_SIZES
    ]
    loads.append(("create", "/api/tokens", post, ()))
    for label, path, script, headers in loads:
        run_wrk(wrk_bin, base + path, token, 2, args.connections, script, headers)  # warm-up
        rps, p99, bad = run_wrk(wrk_bin, base + path, token, args.duration, args.connections, script, headers)
        results[label] = {"rps": rps, "p99": p99, "non2xx": bad}
        print(f"{name:<6} {label:<7} {rps:>9.0f} req/s   p99 {p99:>9}   non-2xx {bad}", flush=True)
    return results


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def fill_to_fifty(base: str, token: str) -> dict[int, object]:
    """Domains created through the API until the caller's first organization holds 50; the
    answers for 5 and 50 (what Prism is given as its examples)."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
        org_id = http.get("/api/me").json()["data"]["memberships"][0]["organization"]["id"]
        total = http.get("/api/domains").json()["data"]["pagination"]["total"]
        for i in range(max(0, 50 - total)):
            made = http.post(f"/api/organizations/{org_id}/domains", json={"domain": f"bench{i:02d}.example.net"})
            assert made.status_code == 201, made.text
        pages = {n: http.get(f"/api/domains?limit={n}").json() for n in LIST_SIZES}
    for n, page in pages.items():
        assert len(page["data"]["domains"]) == n, (n, page)
    return pages  # type: ignore[return-value]


def prism_spec(pages: dict[int, object], directory: Path) -> Path:
    """openapi.yaml with list_domains' example replaced by named 5- and 50-domain examples
    (the mock's own answers), so Prism answers the same payload as the mock."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    content = spec["paths"]["/api/domains"]["get"]["responses"]["200"]["content"]["application/json"]
    content.pop("example", None)
    content["examples"] = {f"domains{n}": {"value": page} for n, page in pages.items()}
    path = directory / "openapi-bench.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk_bin = ensure_wrk()
    prism = ensure_prism()
    tmp = Path(tempfile.mkdtemp())
    post = tmp / "post.lua"
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
        ready = wait_ready(f"http://127.0.0.1:{port}/health", mock, 60, auth)
        print(f"mock ready {ready:.2f} s after start", flush=True)
        results["mockReadySeconds"] = round(ready, 3)
        pages = fill_to_fifty(f"http://127.0.0.1:{port}", TOKEN)
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
        wait_ready(f"http://127.0.0.1:{port}/health", serve, 60, auth)
        fill_to_fifty(f"http://127.0.0.1:{port}", serve_token)
        results["serve"] = measure("serve", f"http://127.0.0.1:{port}", wrk_bin, args, post, serve_token)
    finally:
        stop(serve)

    port = free_port()
    proc = subprocess.Popen(
        [str(prism), "mock", str(prism_spec(pages, tmp)), "-h", "127.0.0.1", "-p", str(port), "-v", "fatal"],
        cwd=BENCH, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/api/domains", proc, 60, auth)
        print(f"prism ready {ready:.2f} s after start", flush=True)
        base = f"http://127.0.0.1:{port}"
        for n in LIST_SIZES:  # Prism answers the example named, the same domains as the mock's
            got = httpx.get(f"{base}/api/domains?limit={n}", headers={**auth, "Prefer": f"example=domains{n}"})
            assert len(got.json()["data"]["domains"]) == n, got.text[:200]
        results["prism"] = measure("prism", base, wrk_bin, args, post, prism=True)
    finally:
        stop(proc)

    mock_r, prism_r = results["mock"], results["prism"]
    assert isinstance(mock_r, dict) and isinstance(prism_r, dict)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; wrk -t2 -c{args.connections} "
          f"-d{args.duration}s, each target alone, warmed up")
    for label in (*(f"list{n}" for n in LIST_SIZES), "create"):
        ratio = mock_r[label]["rps"] / prism_r[label]["rps"]
        results[f"{label}Ratio"] = round(ratio, 2)
        print(f"{label}: mock/prism throughput {ratio:.2f}x (goal >= 1.0x)")
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_mock.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
