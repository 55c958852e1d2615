"""Rate-limit fixtures: servers with their own limits, Redis prefixes, a Redis of our own.

Every server here is a real uvicorn server over the session database; its limiter is
built from the settings it is given (memory storage, or Redis with a key prefix that
is unique to the test and deleted afterwards — never anything else on the shared Redis).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from sentinel.app import Services, build_services, create_app
from sentinel.ratelimit import build_limiter
from sentinel.settings import Settings
from tests.support.api import Tenant, new_tenant
from tests.support.server import LiveServer

SHARED_REDIS = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Instance:
    """A live server with its own services (and limiter), sharing the session database."""

    def __init__(self, services: Services, server: LiveServer) -> None:
        self.services = services
        self.server = server
        self.url = server.url
        self.tenants: list[Tenant] = []

    def tenant(self, plan: str = "free", label: str = "owner") -> Tenant:
        tenant = new_tenant(self.services, self.url, plan=plan, label=label)
        self.tenants.append(tenant)
        return tenant

    def close(self) -> None:
        for tenant in self.tenants:
            tenant.http.close()


@pytest.fixture
def start_server(services: Services, settings: Settings) -> Iterator[Callable[..., Instance]]:
    """Start servers with setting overrides (and an optional limiter back-off); stopped afterwards."""
    stack = contextlib.ExitStack()

    def start(retry_interval: float = 2.0, **overrides: Any) -> Instance:
        own = settings.with_overrides(**overrides)
        limiter = build_limiter(own, retry_interval=retry_interval)
        stack.callback(limiter.close)
        svc = build_services(own, db=services.db, migrate=False, limiter=limiter)
        server = stack.enter_context(LiveServer(create_app(own, services=svc)))
        instance = Instance(svc, server)
        stack.callback(instance.close)
        return instance

    with stack:
        yield start


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    prefix = f"mailsentinel-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(SHARED_REDIS)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def shared_redis() -> str:
    """The Redis on localhost:6379 (CI starts it); the test is skipped loudly when it is absent."""
    client = redis.Redis.from_url(SHARED_REDIS, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed on 127.0.0.1:6379: {exc}")
    finally:
        client.close()
    return SHARED_REDIS


class OwnRedis:
    """A redis-server of the test's own on a free loopback port, to stop and start at will."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is needed on PATH (it is installed with Redis)")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mailsentinel-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            deadline = time.monotonic() + 60  # only against hanging forever
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    server.cleanup()
