"""Fuzz a live deployment with the schemathesis CLI, and check that it kept its authentication.

    python -m contract_tests.live_fuzz --url http://127.0.0.1:8080 --token "$TOKEN" [-- schemathesis options]

Runs `schemathesis run openapi.yaml --checks all` (with this directory's schemathesis.toml)
against the URL with the token, then reads the run's NDJSON events: per operation, how the
requests that carried the token were answered. Exit status 3 when the run went blind (the
token no longer authenticates at the end, or an operation's authenticated requests all got
401/403), otherwise schemathesis's own. Use a throwaway token bound to a throwaway
organization (README: "Fuzzing a live deployment"): the run creates, changes and deletes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import httpx

from contract_tests.guard import BLIND_STATUSES, ROOT


def statuses_by_operation(ndjson: Path) -> dict[str, Counter[int]]:
    """"METHOD /path/{template}" -> statuses of the requests that carried an Authorization header."""
    found: dict[str, Counter[int]] = defaultdict(Counter)
    for line in ndjson.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        cases = recorder.get("cases", {})
        for case_id, interaction in recorder.get("interactions", {}).items():
            request, response = interaction.get("request") or {}, interaction.get("response") or {}
            case = cases.get(case_id, {}).get("value", {})
            if not response or "Authorization" not in (request.get("headers") or {}):
                continue
            found[f"{case.get('method', request.get('method'))} {case.get('path', '?')}"][response["status_code"]] += 1
    return dict(found)


def still_authenticates(url: str, token: str) -> bool:
    response = httpx.get(f"{url.rstrip('/')}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return response.status_code == 200


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the deployment's base URL (loopback or a test system)")
    parser.add_argument("--token", required=True, help="a throwaway token bound to a throwaway organization")
    parser.add_argument("--report", type=Path, help="where to keep the NDJSON events (default: a temporary file)")
    parser.add_argument("extra", nargs="*", help="more schemathesis options, after --")
    args = parser.parse_args(argv)
    report = args.report or Path(tempfile.mkdtemp(prefix="mailsentinel-fuzz-")) / "events.ndjson"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(ROOT / "openapi.yaml"),
        "--url",
        args.url,
        "-H",
        f"Authorization: Bearer {args.token}",
        "--checks",
        "all",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        *args.extra,
    ]
    code = subprocess.run(command, cwd=ROOT, check=False).returncode
    by_operation = statuses_by_operation(report)
    print(f"\nAuthenticated requests per operation (NDJSON events in {report}):")
    blind = []
    for operation, counts in sorted(by_operation.items()):
        ok = sum(n for status, n in counts.items() if 200 <= status < 300)
        refused = sum(n for status, n in counts.items() if status in BLIND_STATUSES)
        print(f"  {operation:60} {sum(counts.values()):6} requests  {ok:5} x 2xx  {refused:5} x 401/403")
        if set(counts) <= BLIND_STATUSES:
            blind.append(operation)
    kept = still_authenticates(args.url, args.token)
    print(f"token still authenticates at the end: {'yes' if kept else 'NO'}")
    if blind:
        print("operations whose authenticated requests all got 401/403:", ", ".join(blind))
    if not kept or blind:
        print("The run went blind: its later checks saw only authentication failures.")
        return 3
    print(f"schemathesis exit status: {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
