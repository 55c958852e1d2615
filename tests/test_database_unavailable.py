"""A lock or pool wait that times out, or a database that is down, is a 503 with
Retry-After through the live API, never a 500 (issue 9, D5 and D14)."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import create_engine, text

from sentinel.app import build_services, create_app
from sentinel.settings import Settings
from tests.support.api import error_of, new_tenant
from tests.support.server import LiveServer


@contextmanager
def _stack(settings: Settings, **overrides: object) -> Iterator[tuple[object, LiveServer]]:
    services = build_services(settings.with_overrides(**overrides))
    try:
        with LiveServer(create_app(services.settings, services=services)) as live:
            yield services, live
    finally:
        services.db.dispose()


@contextmanager
def _row_locked(url: str, org_id: str) -> Iterator[None]:
    """Another connection holds a write lock the request needs: SQLite's database write
    lock, or PostgreSQL's lock on the organization's row."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT id FROM organizations WHERE id = :id FOR UPDATE"), {"id": org_id})
            yield
    finally:
        engine.dispose()


def _assert_unavailable(response) -> None:  # type: ignore[no-untyped-def]
    error_of(response, 503, "SERVICE_UNAVAILABLE")
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.db
def test_a_lock_held_past_the_lock_timeout_is_a_503(settings: Settings) -> None:
    with ExitStack() as stack, _stack(settings, db_lock_timeout=0.3) as (services, live):
        t = new_tenant(services, live.url)  # type: ignore[arg-type]
        stack.callback(t.http.close)
        path = f"/api/organizations/{t.org_id}"
        assert t.get(path).status_code == 200  # the token's last-used time is written now
        with _row_locked(settings.database_url, t.org_id):
            response = t.patch(path, json={"name": "Renamed while locked"})
            _assert_unavailable(response)
            # Reads do not wait for writers.
            assert t.get(path).status_code == 200
        assert t.get(path).json()["data"]["organization"]["name"] != "Renamed while locked"
        assert t.data(t.patch(path, json={"name": "Renamed"}))["organization"]["name"] == "Renamed"


@pytest.mark.db
def test_a_token_created_while_the_lock_is_held_is_a_503_and_not_stored(settings: Settings) -> None:
    """The create runs on a DBAPI cursor of its own (`Database.cursor_transaction`): its lock
    wait is a 503 as every other write's is, and it leaves nothing behind."""
    with ExitStack() as stack, _stack(settings, db_lock_timeout=0.3) as (services, live):
        t = new_tenant(services, live.url)  # type: ignore[arg-type]
        stack.callback(t.http.close)
        assert t.get("/api/tokens").status_code == 200  # the token's last-used time is written now
        with _row_locked(settings.database_url, t.org_id):
            _assert_unavailable(t.post("/api/tokens", json={"name": "while locked"}))
        names = [token["name"] for token in t.data(t.get("/api/tokens"))["tokens"]]
        assert "while locked" not in names
        assert t.data(t.post("/api/tokens", json={"name": "after"}), 201)["token"]["name"] == "after"


@pytest.mark.db
def test_an_exhausted_connection_pool_is_a_503(settings: Settings) -> None:
    with ExitStack() as stack, _stack(settings, db_pool_size=1, db_pool_timeout=0.2) as (services, live):
        t = new_tenant(services, live.url)  # type: ignore[arg-type]
        stack.callback(t.http.close)
        assert t.get("/api/me").status_code == 200
        held = services.db.engine.connect()  # type: ignore[attr-defined]
        try:
            _assert_unavailable(t.get("/api/me"))
            # The health check has a connection of its own.
            assert t.http.get("/health").status_code == 200
        finally:
            held.close()
        assert t.get("/api/me").status_code == 200


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_database_that_is_down_is_a_503_and_health_says_so() -> None:
    # A PostgreSQL URL on a loopback port nobody listens on: every connection is refused.
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nothing"
    settings = Settings(database_url=url, auth_failures_per_minute=1000)
    services = build_services(settings, migrate=False)
    try:
        with LiveServer(create_app(settings, services=services)) as live:
            import httpx

            with httpx.Client(base_url=live.url, timeout=30) as http:
                response = http.get("/api/me", headers={"Authorization": "Bearer ms_live_" + "a" * 40})
                _assert_unavailable(response)
                health = http.get("/health")
                assert health.status_code == 503
                assert health.json()["database"]["status"] == "unavailable"
    finally:
        services.db.dispose()


def _kill_while_waiting(settings: Settings, t: object, request: object, query: str) -> object:
    """Send `request` (a callable) while the organization's row is locked, find the server
    connection waiting on the lock for `query` (an ILIKE pattern), terminate it, and return
    the response."""
    admin = create_engine(settings.database_url)
    waiting = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query ILIKE :query"
    )
    try:
        with _row_locked(settings.database_url, t.org_id), ThreadPoolExecutor(1) as pool:  # type: ignore[attr-defined]
            pending = pool.submit(request)  # type: ignore[arg-type]
            pid = None
            for _ in range(3000):  # a guard against hanging, not a time bound
                with admin.connect() as conn:
                    pid = conn.execute(waiting, {"query": query}).scalar()
                if pid is not None or pending.done():
                    break
                time.sleep(0.01)
            assert pid is not None, pending.result().text
            with admin.connect() as conn:
                assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
            return pending.result()
    finally:
        admin.dispose()


@pytest.mark.db
def test_a_connection_killed_mid_request_is_a_503(settings: Settings) -> None:
    """pg_terminate_backend on the connection serving a request (it waits on a row lock, so
    the test can find it): the request answers 503, and the next one gets a new connection."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("terminating a server connection is a PostgreSQL operation")
    with ExitStack() as stack, _stack(settings, db_lock_timeout=60) as (services, live):
        t = new_tenant(services, live.url)  # type: ignore[arg-type]
        stack.callback(t.http.close)
        path = f"/api/organizations/{t.org_id}"
        assert t.get(path).status_code == 200
        response = _kill_while_waiting(
            settings, t, lambda: t.patch(path, json={"name": "Renamed while killed"}), "UPDATE organizations%"
        )
        _assert_unavailable(response)
        assert t.data(t.get(path))["organization"]["name"] != "Renamed while killed"
        assert t.data(t.patch(path, json={"name": "Renamed"}))["organization"]["name"] == "Renamed"


@pytest.mark.db
def test_a_connection_killed_mid_token_create_is_a_503(settings: Settings) -> None:
    """The same for the create's DBAPI cursor: 503, nothing stored, and the pool drops the
    dead connection (the next creates, on a pool of one, succeed)."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("terminating a server connection is a PostgreSQL operation")
    with ExitStack() as stack, _stack(settings, db_lock_timeout=60, db_pool_size=1) as (services, live):
        t = new_tenant(services, live.url)  # type: ignore[arg-type]
        stack.callback(t.http.close)
        assert t.get("/api/tokens").status_code == 200
        response = _kill_while_waiting(
            settings, t, lambda: t.post("/api/tokens", json={"name": "while killed"}), "SELECT organizations.id%"
        )
        _assert_unavailable(response)
        names = [token["name"] for token in t.data(t.get("/api/tokens"))["tokens"]]
        assert "while killed" not in names
        for n in range(3):
            assert t.data(t.post("/api/tokens", json={"name": f"after {n}"}), 201)["token"]["name"] == f"after {n}"
