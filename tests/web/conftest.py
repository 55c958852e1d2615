"""A live server with short body and header deadlines, for the slow-client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sentinel.app import Services, create_app
from sentinel.settings import Settings
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
def strict(settings: Settings, services: Services) -> Iterator[LiveServer]:
    own = settings.with_overrides(body_timeout=1.0, header_timeout=1.0)
    with LiveServer(create_app(own, services=services), own) as server:
        yield server
