"""Whole processes on one realistic 100,000-record report: `mailsentinel parse --json`,
`--jsonl` and `mailsentinel ingest` (into a fresh SQLite file) against parsedmarc parsing
it and writing its JSON, each a fresh process timed from outside (start-up and output
included), its peak RSS from the kernel (wait4). The report is bench_reports.write_report's
(seeded; IPv4 and IPv6, ~150 header_from domains, a second DKIM result on ~45 % of records).

This process stays small (the databases are prepared by a subprocess): on Linux a child's
ru_maxrss starts from its parent's resident size at fork, so a parent that had imported the
application (~110 MB) made every process it timed look at least that large. The floor
line (`/bin/true` started the same way) shows what that inheritance still adds.

Usage: .venv-bench/bin/python bench/bench_parse_cli.py [--records 100000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reports import write_report

GOAL_RATIO = 8.0
GOAL_MB = 120.0
PREPARE = (
    "import sys\n"
    "from sentinel.app import build_services\n"
    "from sentinel.settings import Settings\n"
    "services = build_services(Settings(database_url=sys.argv[1]))\n"
    "boot = services.organizations.bootstrap('bench@example.com', 'Bench', 'enterprise')\n"
    "principal = services.tokens.authenticate(boot.token)\n"
    "services.domains.create(principal, boot.organization_id, 'example.com')\n"
    "services.db.dispose()\n"
    "print(boot.organization_id)\n"
)
PARSEDMARC = (
    "import json, sys, parsedmarc\n"
    "r = parsedmarc.parse_report_file(sys.argv[1], offline=True, always_use_local_files=True)\n"
    "json.dump(r, sys.stdout)\n"
)


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak RSS MB) of one process writing to /dev/null."""
    with open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, (command, process.stderr.read() if process.stderr else b"")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    mailsentinel = str(bin_dir / "mailsentinel")
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        report = Path(tmp) / "big.xml"
        write_report(report, args.records, seed=20261201)
        results: dict[str, list[tuple[float, float]]] = {}

        def ingest() -> list[str]:
            # A fresh database each time, with the organization and the report's domain.
            # In a subprocess, so this one never imports the application (see the docstring).
            url = f"sqlite:///{Path(tmp) / f'ingest-{time.monotonic_ns()}.db'}"
            organization = subprocess.run([sys.executable, "-c", PREPARE, url], check=True, capture_output=True,
                                          text=True).stdout.strip()
            os.environ["MAILSENTINEL_DATABASE_URL"] = url
            return [mailsentinel, "ingest", str(report), "--org", organization]

        commands = {
            "mailsentinel parse --json": lambda: [mailsentinel, "parse", str(report), "--json"],
            "mailsentinel parse --jsonl": lambda: [mailsentinel, "parse", str(report), "--jsonl"],
            "mailsentinel ingest (SQLite)": ingest,
            "parsedmarc (parse + json.dump)": lambda: [sys.executable, "-c", PARSEDMARC, str(report)],
        }
        for _ in range(args.rounds):
            for name, command in commands.items():
                results.setdefault(name, []).append(run(command(), dict(os.environ)))
        size = report.stat().st_size / 1e6
        _, floor = run(["/bin/true"])
    print(f"one {args.records:,}-record report ({size:.0f} MB of XML), whole processes, output to /dev/null; "
          f"best of {args.rounds} interleaved rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    anchor = args.records / min(s for s, _ in results["parsedmarc (parse + json.dump)"])
    print(f"{'process':34} {'records/s':>10} {'ratio':>7} {'peak MB':>8}")
    for name, runs in results.items():
        best = min(s for s, _ in runs)
        rate = args.records / best
        print(f"{name:34} {rate:10,.0f} {rate / anchor:6.1f}x {max(m for _, m in runs):8.0f}")
    print(f"(floor: /bin/true started the same way peaks at {floor:.0f} MB)")
    print(f"goals: parse --json and ingest >= {GOAL_RATIO:.0f}x parsedmarc, peak RSS < {GOAL_MB:.0f} MB")


if __name__ == "__main__":
    main()
