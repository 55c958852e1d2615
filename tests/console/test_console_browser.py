"""The web console in a real browser against `mailsentinel mock` and `mailsentinel serve`.

Each test starts the server as a user would (its own process, a free loopback port; `serve`
on a fresh SQLite file with a loopback DNS server holding mocks/zones), then runs the
Playwright script console/e2e/console.test.mjs (playwright-core driving Debian's chromium)
against it: sign-in, a wrong token, adding and verifying a domain, a scan and its issues, a
dropped report changing the pass-rate chart, an API key generated, copied and used with curl,
members and plan, webhooks and alerts (their flows run once the server has those APIs, and
"not available" is checked until then), 360 px, keyboard, and a viewer seeing no write
buttons. Screenshots of every screen land in build/console-screenshots/ (`make console-screenshots`).

Needs `make console-deps` (npm ci in console/) and /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.dns_server import LoopbackDnsServer

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"
SCRIPT = CONSOLE / "e2e" / "console.test.mjs"
ZONES = sorted((ROOT / "mocks" / "zones").glob("*.zone"))
REPORT = ROOT.parent / "shared" / "fixtures" / "reports" / "aggregate" / "nice-input.xml.gz"
SCREENSHOTS = Path(os.environ.get("MAILSENTINEL_CONSOLE_SCREENSHOTS", ROOT / "build" / "console-screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
MOCK_OWNER = "ms_live_MailSentinelMockOwnerToken00000000000001"
MOCK_VIEWER = "ms_live_MailSentinelMockViewerToken0000000000002"
# Only against a server or browser run that hangs: nothing here asserts how fast anything is.
HANG_GUARD = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSENTINEL_")}
    # Webhook receivers in the browser test listen on loopback.
    env.update(MAILSENTINEL_LOG_LEVEL="warning", MAILSENTINEL_ALLOWED_TARGET_NETWORKS="127.0.0.0/8", **extra)
    return env


def _cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "sentinel.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class Server:
    """`mailsentinel <command>` on a free loopback port, stopped (by its pid) on exit."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.output = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sentinel.cli", *command, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.output, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + HANG_GUARD
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{command[0]} never answered /health:\n{log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.output.close()


def _prerequisites() -> None:
    assert (CONSOLE / "node_modules" / "playwright-core").is_dir(), "run `make console-deps` (npm ci in console/)"
    assert shutil.which("node"), "Node.js is needed for the browser tests"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    assert REPORT.is_file(), f"{REPORT} is missing (../shared/fixtures)"


def _run_browser(mode: str, url: str, **variables: str) -> None:
    env = {
        **os.environ,
        "CONSOLE_URL": url, "CONSOLE_MODE": mode, "REPORT_FILE": str(REPORT), "REPORT_DOMAIN": "example.com",
        "SCAN_DOMAIN": "example.org", "SCAN_ISSUE": "SPF_TOO_MANY_LOOKUPS",
        "SCREENSHOTS": str(SCREENSHOTS), "CHROMIUM": CHROMIUM, **variables,
    }
    done = subprocess.run(["node", "--test", "--test-reporter=spec", str(SCRIPT)], cwd=CONSOLE, env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD, check=False)
    print(done.stdout[-6000:])
    assert done.returncode == 0, done.stdout[-12000:] + done.stderr[-4000:]


def test_console_against_the_mock(tmp_path: Path) -> None:
    logs = tmp_path
    _prerequisites()
    server = Server(["mock"], _env(), logs / "mock.log")
    try:
        _run_browser("mock", server.url, OWNER_TOKEN=MOCK_OWNER, VIEWER_TOKEN=MOCK_VIEWER,
                     ORG_ID="org_123", ADD_DOMAIN="newsite.example.com")
    finally:
        server.stop()


def test_console_against_serve(tmp_path: Path) -> None:
    logs = tmp_path
    _prerequisites()
    with LoopbackDnsServer(ZONES) as dns:
        env = _env(MAILSENTINEL_DATABASE_URL=f"sqlite:///{logs / 'console.db'}",
                   MAILSENTINEL_NAMESERVERS=dns.nameserver)
        # Enterprise: the test's few hundred requests stay far from the plan's limits.
        boot = json.loads(_cli("bootstrap", "--email", "owner@example.com", "--org", "Console Test",
                               "--plan", "enterprise", "--json", env=env))
        server = Server(["serve"], env, logs / "serve.log")
        try:
            owner = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {boot['token']}"}, timeout=60)
            org = boot["organizationId"]
            # The report's domain, and a viewer with a read-only token of their own.
            assert owner.post(f"/api/organizations/{org}/domains", json={"domain": "example.com"}).status_code == 201
            added = owner.post(f"/api/organizations/{org}/members",
                               json={"email": "viewer@example.com", "role": "viewer"})
            assert added.status_code == 201, added.text
            viewer = json.loads(_cli("token", "--email", "viewer@example.com", "--org", org,
                                     "--scopes", "read", "--json", env=env))
            owner.close()
            _run_browser("serve", server.url, OWNER_TOKEN=boot["token"], VIEWER_TOKEN=viewer["token"],
                         ORG_ID=org, ADD_DOMAIN="example.org")
        finally:
            server.stop()
