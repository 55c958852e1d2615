"""The app under contract test: a fresh database, an enterprise tenant, the real ASGI stack.

schemathesis loads the schema when the test module is imported, so the target is
built at import time too (a temporary SQLite file, or MAILSENTINEL_TEST_DATABASE_URL).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinel.app import Services, build_services, create_app
from sentinel.settings import Settings

EXAMPLES = int(os.environ.get("MAILSENTINEL_FUZZ_EXAMPLES", "25"))


@dataclass
class Target:
    app: Any
    services: Services
    token: str
    org_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_target() -> Target:
    tmp = Path(tempfile.mkdtemp(prefix="mailsentinel-contract-"))
    url = os.environ.get("MAILSENTINEL_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'contract.db'}"
    settings = Settings(
        database_url=url,
        nameservers=("127.0.0.1:9",),
        dns_timeout=0.5,
        dns_lifetime=1.0,
        # schemathesis sends thousands of requests, many deliberately unauthenticated: limits
        # high enough never to bind, so every response stays the operation's own (429 stays declared).
        rate_limits=("enterprise=100000000/0",),
        auth_failures_per_minute=100_000_000,
    )
    services = build_services(settings)
    boot = services.organizations.bootstrap("contract@example.com", "Contract", "enterprise")
    return Target(create_app(settings, services=services), services, boot.token, boot.organization_id)


def make_mock_target() -> Target:
    """The mock, composed as `mailsentinel mock` composes it, acting with the seed's owner token."""
    settings = Settings(rate_limits=("pro=100000000/0",), auth_failures_per_minute=100_000_000)
    services = build_services(settings, "mock")
    assert services.mock is not None
    owner = services.mock.tokens[0]
    return Target(create_app(settings, "mock", services=services), services, owner.secret, owner.organization_id)
