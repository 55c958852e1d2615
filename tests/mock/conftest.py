"""The mock under test: composed exactly as `mailsentinel mock` composes it, on a live loopback server.

One server per module; every test starts from the seed again (through the mock's own reset).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mocks.ports import DEFAULT_SEED
from mocks.seed import load_seed
from sentinel.app import Services, build_services, create_app
from sentinel.settings import Settings
from tests.support.server import LiveServer

SEED = json.loads((Path(__file__).resolve().parents[2] / "mocks" / "seed.json").read_text(encoding="utf-8"))
OWNER_TOKEN = SEED["organizations"][0]["owner"]["token"]["secret"]
VIEWER_TOKEN = SEED["organizations"][0]["members"][0]["token"]["secret"]


def mock_settings(**overrides: object) -> Settings:
    # Limits that never bind, so tests that send many requests see the operations' own answers.
    base = Settings(rate_limits=("pro=1000000/0",), auth_failures_per_minute=1_000_000)
    return base.with_overrides(**overrides)


@pytest.fixture(scope="module")
def mock_services() -> Iterator[Services]:
    services = build_services(mock_settings(), "mock")
    yield services
    services.db.dispose()


@pytest.fixture(scope="module")
def mock_live(mock_services: Services) -> Iterator[LiveServer]:
    with LiveServer(create_app(mock_services.settings, "mock", services=mock_services)) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    """Back to the seed before each test that uses the module's mock."""
    if "mock_services" in request.fixturenames:
        services: Services = request.getfixturevalue("mock_services")
        assert services.mock is not None
        if services.mock.seed.source == "mocks/seed.json":
            services.mock.reset()
        else:  # a test loaded another seed
            services.mock.load(load_seed(DEFAULT_SEED))


@pytest.fixture
def owner(mock_live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock_live.url, headers={"Authorization": f"Bearer {OWNER_TOKEN}"}, timeout=30) as c:
        yield c


@pytest.fixture
def anonymous(mock_live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock_live.url, timeout=30) as c:
        yield c
