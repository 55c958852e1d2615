"""D1: no body byte is read before the token is accepted; an accepted body has a deadline."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from sentinel.app import build_services, create_app
from sentinel.settings import Settings
from tests.support.api import Tenant
from tests.support.server import LiveServer
from tests.web.raw import closed_by_server, connect, head, push, read_response

MIB = 1024 * 1024
CHUNK = b"%x\r\n" % MIB + b"a" * MIB + b"\r\n"


def _refused_unread(port: int, method: str, path: str, headers: dict[str, str], status: int, code: str) -> None:
    """Send only the head of a request with a big body: the answer must come, and the body stay unread."""
    with connect(port) as sock:
        sock.sendall(head(method, path, headers))
        r = read_response(sock)  # before a single body byte was sent
        assert r.status == status, r
        assert r.json()["error"]["code"] == code
        assert r.headers["connection"] == "close"
        assert closed_by_server(sock)
        # Were the server still reading (and discarding), all 64 MiB would go through.
        assert push(sock, 64 * MIB, CHUNK) < 64 * MIB


@pytest.mark.parametrize("auth", [None, "Bearer ms_live_" + "x" * 40, "Basic dXNlcjpwYXNz"])
def test_unauthenticated_chunked_body_is_not_read(live: LiveServer, auth: str | None) -> None:
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    if auth:
        headers["Authorization"] = auth
    _refused_unread(live.port, "POST", "/api/organizations", headers, 401, "UNAUTHORIZED")


def test_unauthenticated_declared_upload_is_not_read(live: LiveServer, tenant: Tenant) -> None:
    headers = {"Content-Type": "application/gzip", "Content-Length": str(20 * MIB)}
    _refused_unread(live.port, "POST", f"/api/organizations/{tenant.org_id}/reports", headers, 401, "UNAUTHORIZED")


def test_unknown_path_body_is_not_read(live: LiveServer) -> None:
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    _refused_unread(live.port, "POST", "/api/nothing-here", headers, 404, "NOT_FOUND")


def test_address_out_of_attempts_gets_429_without_the_body_read(tmp_path) -> None:
    own = Settings(database_url=f"sqlite:///{tmp_path / 'limited.db'}", auth_failures_per_minute=1)
    services = build_services(own)
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked", "Authorization": "Bearer nope"}
    try:
        with LiveServer(create_app(own, services=services), own) as server:
            _refused_unread(server.port, "POST", "/api/organizations", headers, 401, "UNAUTHORIZED")
            _refused_unread(server.port, "POST", "/api/organizations", headers, 429, "RATE_LIMITED")
    finally:
        services.db.dispose()


def test_mock_refuses_unauthenticated_bodies_the_same_way() -> None:
    services = build_services(Settings(), "mock")
    try:
        with LiveServer(create_app(services.settings, "mock", services=services)) as server:
            headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
            _refused_unread(server.port, "POST", "/api/organizations", headers, 401, "UNAUTHORIZED")
    finally:
        services.db.dispose()


@pytest.fixture
def trickle() -> Iterator[list[threading.Thread]]:
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=30)


def test_authenticated_body_that_trickles_is_cut_off(strict: LiveServer, tenant: Tenant, trickle) -> None:
    stop = threading.Event()
    with connect(strict.port) as sock:
        headers = {"Authorization": f"Bearer {tenant.token}", "Content-Type": "application/json",
                   "Transfer-Encoding": "chunked"}
        sock.sendall(head("POST", "/api/organizations", headers) + b"9\r\n{\"name\": \r\n")

        def drip() -> None:  # one byte every 50 ms, for far longer than the 1 s deadline
            for _ in range(400):
                if stop.wait(0.05):
                    return
                try:
                    sock.sendall(b"1\r\n \r\n")
                except OSError:
                    return

        trickle.append(threading.Thread(target=drip, daemon=True))
        trickle[0].start()
        try:
            r = read_response(sock)
        finally:
            stop.set()
        assert r.status == 408, r
        assert r.json()["error"]["code"] == "REQUEST_TIMEOUT"
        assert "MAILSENTINEL_BODY_TIMEOUT" in r.json()["error"]["message"]
        assert r.headers["connection"] == "close"


def test_authenticated_declared_body_that_stalls_is_cut_off(strict: LiveServer, tenant: Tenant) -> None:
    with connect(strict.port) as sock:
        headers = {"Authorization": f"Bearer {tenant.token}", "Content-Type": "application/json",
                   "Content-Length": "1000"}
        sock.sendall(head("POST", "/api/organizations", headers) + b'{"name": "')
        r = read_response(sock)
        assert r.status == 408, r
        assert r.json()["error"]["code"] == "REQUEST_TIMEOUT"
        assert closed_by_server(sock)


def test_authenticated_chunked_body_is_accepted(live: LiveServer, tenant: Tenant) -> None:
    body = json.dumps({"name": "Chunked Co"}).encode()
    with connect(live.port) as sock:
        headers = {"Authorization": f"Bearer {tenant.token}", "Content-Type": "application/json",
                   "Transfer-Encoding": "chunked"}
        sock.sendall(head("POST", "/api/organizations", headers))
        for piece in (body[:5], body[5:]):
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            time.sleep(0.05)
        sock.sendall(b"0\r\n\r\n")
        r = read_response(sock)
        assert r.status == 201, r
        assert r.json()["data"]["organization"]["name"] == "Chunked Co"
        # A body read in full leaves the connection open for the next request.
        sock.sendall(head("GET", "/health", {}))
        assert read_response(sock).status == 200


def test_an_upload_over_its_organization_cap_is_refused_before_its_body_is_read(tmp_path) -> None:
    own = Settings(database_url=f"sqlite:///{tmp_path / 'caps.db'}", auth_failures_per_minute=1000,
                   uploads_per_organization=1)
    services = build_services(own)
    try:
        with LiveServer(create_app(own, services=services), own) as server:
            from tests.support.api import new_tenant

            tenant = new_tenant(services, server.url)
            path = f"/api/organizations/{tenant.org_id}/reports"
            headers = {"Content-Type": "application/gzip", "Content-Length": str(20 * MIB),
                       "Authorization": tenant.http.headers["Authorization"]}
            with connect(server.port) as first:
                # One upload in flight: its head and the first MiB of its body sent, the rest held back.
                first.sendall(head("POST", path, headers) + b"\x1f\x8b" + b"\0" * (MIB - 2))
                for _ in range(1500):  # until it holds its slot (a hang guard, not a time bound)
                    if services.admission.busy("upload") == 1:
                        break
                    time.sleep(0.01)
                assert services.admission.busy("upload") == 1
                # The second is told 429 from its head alone, its 20 MiB never read.
                _refused_unread(server.port, "POST", path, headers, 429, "RATE_LIMITED")
            tenant.http.close()
    finally:
        services.db.dispose()
