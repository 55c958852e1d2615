"""The commands: `serve` delivers in-process out of the box (the README's walk-through), and
`webhooks verify` checks a delivery as a receiver recorded it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.receiver import Receiver
from tests.webhooks.conftest import REPORT

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
         ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sentinel.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_delivers_report_received_in_process_and_verify_accepts_it(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "MAILSENTINEL_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
           "MAILSENTINEL_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8", "MAILSENTINEL_PORT": str(port),
           "MAILSENTINEL_NAMESERVERS": "127.0.0.1:9", "MAILSENTINEL_LOG_LEVEL": "WARNING"}
    boot = json.loads(_cli("bootstrap", "--email", "me@example.com", "--org", "Mine", "--json", env=env).stdout)
    server = subprocess.Popen([sys.executable, "-m", "sentinel.cli", "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {boot['token']}"},
                           timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                api.get("/health")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
                time.sleep(0.1)
        org = boot["organizationId"]
        with Receiver() as rx:
            # report.received only: the upload may open alerts too (their deliveries are tested elsewhere).
            created = api.post(f"/api/organizations/{org}/webhooks",
                               json={"url": rx.url, "events": ["report.received"]}).json()["data"]
            secret = created["secret"]
            rx.secrets.append(secret)
            api.post(f"/api/organizations/{org}/domains", json={"domain": "example.com"})
            r = api.post(f"/api/organizations/{org}/reports", content=REPORT.read_bytes(),
                         headers={"Content-Type": "application/xml"})
            assert r.status_code == 201, r.text
            (got,) = rx.wait_for(1)
        api.close()
    finally:
        server.terminate()
        server.wait(30)
    assert got.verified and got.payload["event"] == "report.received"
    # The key that encrypts secrets was made beside the database, readable by its owner only.
    assert (tmp_path / "run.db.key").stat().st_mode & 0o077 == 0

    recorded = "POST /hook HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in got.headers.items()) + "\r\n"
    message = recorded.encode() + got.body
    ok = _cli("webhooks", "verify", "--secret", secret, stdin=message)
    assert ok.returncode == 0 and ok.stdout.startswith(b"valid"), ok
    (tmp_path / "delivery.txt").write_bytes(message.replace(b"\r\n", b"\n"))
    ok_file = _cli("webhooks", "verify", "--secret", secret, "--file", str(tmp_path / "delivery.txt"))
    assert ok_file.returncode == 0, ok_file
    tampered = _cli("webhooks", "verify", "--secret", secret, stdin=message.replace(b'"report.received"', b'"x"'))
    assert tampered.returncode == 1 and b"none of the 1 signature" in tampered.stdout
    other = "whsec_" + "A" * 43 + "="
    wrong = _cli("webhooks", "verify", "--secret", other, stdin=message)
    assert wrong.returncode == 1
