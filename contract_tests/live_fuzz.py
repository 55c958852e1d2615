"""Fuzz a live deployment with the schemathesis CLI, and check that it kept its authentication.

    python -m contract_tests.live_fuzz --url URL --token "$TOKEN" --stranger-token "$STRANGER" [-- options]

Runs `schemathesis run openapi.yaml --checks all` against the URL, then reads the run's NDJSON
events: per operation, how the requests that carried a token were answered. Exit status 3 when
the run went blind (the token no longer authenticates at the end, or an operation's
authenticated requests all got 401/403), otherwise schemathesis's own.

Both tokens are throwaways of two unrelated users, each bound to a throwaway organization
(README: "Fuzzing a live deployment"): the run creates, changes and deletes. The calls that
can take the caller's own access away (ACCESS_TAKING) go out with the stranger's token, so
whatever IDs schemathesis captured from the first token's answers (its own token, its
organization, its membership) only ever reach a user who cannot touch them: by construction
the run keeps its authentication to the end.
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

ACCESS_TAKING = ("revoke_token", "rotate_token", "delete_organization", "update_member", "remove_member")


def config_text(token: str, stranger: str) -> str:
    """schemathesis.toml plus the two principals: the fuzz token, and the stranger for ACCESS_TAKING."""
    base = (ROOT / "schemathesis.toml").read_text(encoding="utf-8")
    ids = ", ".join(json.dumps(name) for name in ACCESS_TAKING)
    return (
        f"headers = {{ Authorization = {json.dumps('Bearer ' + token)} }}\n\n{base}\n"
        f"[[operations]]\ninclude-operation-id = [{ids}]\n"
        f"headers = {{ Authorization = {json.dumps('Bearer ' + stranger)} }}\n"
        # Links from what the run created lead there with the fuzzing token's IDs, which the
        # stranger rightly cannot see: no stateful steps for them (their 404s are no finding).
        "phases.stateful.enabled = false\n"
    )


def statuses_by_operation(ndjson: Path) -> dict[str, Counter[int]]:
    """ "METHOD /path/{template}" -> statuses of the requests that carried an Authorization header."""
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
    parser.add_argument("--stranger-token", required=True, help="a throwaway token of another, unrelated user")
    parser.add_argument("--report", type=Path, help="where to keep the NDJSON events (default: a temporary file)")
    parser.add_argument("extra", nargs="*", help="more schemathesis options, after --")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="mailsentinel-fuzz-"))
    report = args.report or work / "events.ndjson"
    config = work / "schemathesis.toml"
    config.write_text(config_text(args.token, args.stranger_token), encoding="utf-8")
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        str(ROOT / "openapi.yaml"),
        "--url",
        args.url,
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
    kept = still_authenticates(args.url, args.token) and still_authenticates(args.url, args.stranger_token)
    print(f"both tokens still authenticate at the end: {'yes' if kept else 'NO'}")
    if blind:
        print("operations whose authenticated requests all got 401/403:", ", ".join(blind))
    if not kept or blind:
        print("The run went blind: its later checks saw only authentication failures.")
        return 3
    print(f"schemathesis exit status: {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
