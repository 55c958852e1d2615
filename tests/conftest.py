"""Shared fixtures: one database and one live server per test session.

The database is a fresh SQLite file, or the PostgreSQL URL in
MAILSENTINEL_TEST_DATABASE_URL (the CI runs the suite against both). Tests create
their own users and organizations, so they never see each other's data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sentinel.app import Services, build_services, create_app
from sentinel.settings import Settings
from tests.support.api import Tenant, new_tenant
from tests.support.server import LiveServer

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def _database_url(tmp_dir: Path) -> str:
    return os.environ.get("MAILSENTINEL_TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.db'}"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    url = _database_url(tmp_path_factory.mktemp("db"))
    # The whole session shares one client address; its many deliberate 401s must not become 429s.
    return Settings(
        database_url=url,
        nameservers=("127.0.0.1:9",),
        dns_timeout=1.0,
        dns_lifetime=2.0,
        auth_failures_per_minute=1_000_000,
    )


@pytest.fixture(scope="session")
def services(settings: Settings) -> Iterator[Services]:
    svc = build_services(settings)
    yield svc
    svc.db.dispose()


@pytest.fixture(scope="session")
def live(services: Services, settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings, services=services), settings) as server:
        yield server


@pytest.fixture
def tenant(services: Services, live: LiveServer) -> Iterator[Tenant]:
    t = new_tenant(services, live.url)
    yield t
    t.http.close()


@pytest.fixture
def other(services: Services, live: LiveServer) -> Iterator[Tenant]:
    """A second, unrelated tenant, for isolation tests."""
    t = new_tenant(services, live.url, label="stranger")
    yield t
    t.http.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that touch the database are marked `db`, so CI can rerun them on PostgreSQL."""
    for item in items:
        if "services" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
