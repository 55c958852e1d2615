"""Redis storage: one limit shared by several server processes; failing open and recovering."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sentinel.app import Services
from sentinel.settings import Settings
from tests.ratelimit.conftest import Instance, OwnRedis, free_port
from tests.ratelimit.helpers import refused, window
from tests.support.api import new_tenant

pytestmark = pytest.mark.redis

SERVE = str(Path(sys.executable).with_name("mailsentinel"))


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60  # only against hanging forever
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"`mailsentinel serve` at {url} did not start")
        time.sleep(0.05)


@pytest.fixture
def two_processes(settings: Settings, shared_redis: str, redis_prefix: str) -> Iterator[list[str]]:
    """Two `mailsentinel serve` processes on one database and one Redis (with this test's prefix)."""
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for _ in range(2):
            port = free_port()
            env = {
                **os.environ,
                "MAILSENTINEL_DATABASE_URL": settings.database_url,
                "MAILSENTINEL_REDIS_URL": shared_redis,
                "MAILSENTINEL_REDIS_KEY_PREFIX": redis_prefix,
                "MAILSENTINEL_PORT": str(port),
                "MAILSENTINEL_LOG_LEVEL": "WARNING",
                # Not 32 connections each opened at start-up (what serve does on PostgreSQL): the
                # test sends one request at a time, and the server's connections are shared with
                # the other test processes.
                "MAILSENTINEL_DB_POOL_WARM": "2",
            }
            process = subprocess.Popen(
                [SERVE, "serve", "--host", "127.0.0.1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            processes.append((f"http://127.0.0.1:{port}", process))
        for url, process in processes:
            wait_until_up(url, process)
        yield [url for url, _ in processes]
    finally:
        for _, process in processes:
            process.terminate()
        for _, process in processes:
            process.wait(timeout=10)


@pytest.mark.parametrize("last", [0, 1], ids=["first-process-gets-the-61st", "second-process-gets-the-61st"])
def test_two_processes_enforce_one_shared_limit(services: Services, two_processes: list[str], last: int) -> None:
    tenant = new_tenant(services, two_processes[0], plan="free")
    tenant.http.close()  # requests go to either process below
    headers = {"Authorization": f"Bearer {tenant.token}"}
    with httpx.Client(headers=headers, timeout=60) as http:
        for i in range(60):
            r = http.get(f"{two_processes[i % 2]}/api/me")
            assert r.status_code == 200, (i, r.text)
            # One count: each process sees the other's requests.
            assert window(r)[:2] == (60, 59 - i)
        refused(http.get(f"{two_processes[last]}/api/me"))
        refused(http.get(f"{two_processes[1 - last]}/api/me"))


def test_unreachable_redis_fails_open_and_logs_once(
    start_server: Callable[..., Instance], caplog: pytest.LogCaptureFixture
) -> None:
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    server = start_server(redis_url=nobody_listens, retry_interval=0.01, rate_limits=("free=2/10",))
    tenant = server.tenant("free")
    with caplog.at_level(logging.WARNING, logger="sentinel.ratelimit"):
        for _ in range(10):
            r = tenant.get("/api/me")
            assert r.status_code == 200
            # Nothing could be counted: the plan's limit, nothing used.
            assert window(r)[:2] == (2, 2)
    outages = [rec for rec in caplog.records if "unreachable" in rec.getMessage()]
    assert len(outages) == 1


def test_redis_stopped_mid_run_fails_open_then_recovers(
    start_server: Callable[..., Instance], own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_server(redis_url=own_redis.url, retry_interval=0.05, rate_limits=("free=3/100",))
    tenant = server.tenant("free")
    with caplog.at_level(logging.WARNING, logger="sentinel.ratelimit"):
        for i in range(3):
            assert window(tenant.get("/api/me"))[1] == 2 - i
        refused(tenant.get("/api/me"))

        own_redis.stop()
        for _ in range(6):
            r = tenant.get("/api/me")
            assert r.status_code == 200, r.text
            assert window(r)[:2] == (3, 3)

        own_redis.start()  # empty: counting starts again
        deadline = time.monotonic() + 15
        while True:
            r = tenant.get("/api/me")
            assert r.status_code == 200
            if window(r)[1] < 3:
                break  # counted again
            assert time.monotonic() < deadline, "the limiter never went back to Redis"
            time.sleep(0.02)
        admitted_after_recovery = 1
        while (r := tenant.get("/api/me")).status_code == 200:
            admitted_after_recovery += 1
        refused(r)
        assert admitted_after_recovery == 3

    messages = [rec.getMessage() for rec in caplog.records if rec.name == "sentinel.ratelimit"]
    assert sum("unreachable" in m for m in messages) == 1
    assert sum("reachable again" in m for m in messages) == 1
