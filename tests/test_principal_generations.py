"""Two processes, one database: a principal cached by one `serve` process is dropped on its
next request after another process revokes the token, changes the plan or the membership."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sentinel.app import Services, build_services, create_app
from sentinel.settings import Settings
from tests.support.api import add_member_with_token, client, error_of, new_tenant
from tests.support.server import LiveServer

SERVE = str(Path(sys.executable).with_name("mailsentinel"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_instances(tmp_path: Path) -> Iterator[tuple[Services, str, str]]:
    """(this process's services, its server's URL, a `mailsentinel serve` subprocess's URL)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    settings = Settings(database_url=url)
    services = build_services(settings)
    port = _free_port()
    env = {**os.environ, "MAILSENTINEL_DATABASE_URL": url, "MAILSENTINEL_PORT": str(port),
           "MAILSENTINEL_LOG_LEVEL": "WARNING"}
    other = subprocess.Popen([SERVE, "serve", "--host", "127.0.0.1"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    other_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # only against hanging forever
        while True:
            try:
                if httpx.get(f"{other_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert other.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        with LiveServer(create_app(settings, services=services)) as live:
            yield services, live.url, other_url
    finally:
        other.terminate()
        other.wait(timeout=10)
        services.db.dispose()


def test_changes_in_one_process_reach_the_other_on_its_next_request(two_instances) -> None:
    services, here, there = two_instances
    owner = new_tenant(services, here, plan="free")
    token = owner.data(owner.post("/api/tokens", json={"name": "second"}), 201)["token"]
    with client(there, token["token"]) as second:
        for _ in range(2):  # the second answer comes from the other process's cache
            assert second.get("/api/me").headers["x-ratelimit-limit"] == "60"
        owner.patch(f"/api/organizations/{owner.org_id}", json={"plan": "pro"})
        assert second.get("/api/me").headers["x-ratelimit-limit"] == "300"
        org = owner.data(owner.post("/api/organizations", json={"name": "Elsewhere"}), 201)["organization"]
        memberships = second.get("/api/me").json()["data"]["memberships"]
        assert org["id"] in {m["organization"]["id"] for m in memberships}
        owner.delete(f"/api/tokens/{token['id']}")
        error_of(second.get("/api/me"), 401, "UNAUTHORIZED")
    member_id, secret = add_member_with_token(owner, services, "admin")
    with client(there, secret) as member:
        domains = f"/api/organizations/{owner.org_id}/domains"
        assert member.post(domains, json={"domain": "g1.example.com"}).status_code == 201
        owner.patch(f"/api/organizations/{owner.org_id}/members/{member_id}", json={"role": "viewer"})
        error_of(member.post(domains, json={"domain": "g2.example.com"}), 403, "FORBIDDEN")
        owner.delete(f"/api/organizations/{owner.org_id}/members/{member_id}")
        error_of(member.get("/api/me"), 401, "UNAUTHORIZED")
    owner.http.close()
