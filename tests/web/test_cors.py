"""CORS: browsers on the origins MAILSENTINEL_CORS_ORIGINS lists may call the API; no others."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sentinel.app import Services, create_app
from sentinel.errors import ValidationError
from sentinel.settings import Settings
from tests.support.api import Tenant, error_of
from tests.support.server import LiveServer

CONSOLE = "https://console.example.com"


@pytest.fixture(scope="module")
def cors(settings: Settings, services: Services) -> Iterator[LiveServer]:
    own = settings.with_overrides(cors_origins=(CONSOLE, "http://127.0.0.1:5173"))
    with LiveServer(create_app(own, services=services), own) as server:
        yield server


def _preflight(url: str, origin: str) -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return httpx.options(f"{url}/api/organizations/org_x/domains", headers=headers)


def test_an_allowed_origin_gets_its_preflight_answered_without_a_token(cors: LiveServer) -> None:
    r = _preflight(cors.url, CONSOLE)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == CONSOLE
    assert "POST" in r.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "if-none-match"} <= allowed
    assert "access-control-allow-credentials" not in r.headers
    assert r.headers["vary"] == "Origin"


def test_another_origin_gets_the_apis_own_answer_and_no_cors_headers(cors: LiveServer) -> None:
    r = _preflight(cors.url, "https://evil.example")
    error_of(r, 405, "METHOD_NOT_ALLOWED")
    assert not [h for h in r.headers if h.startswith("access-control-")]


def test_answers_to_an_allowed_origin_are_readable_errors_included(cors: LiveServer, tenant: Tenant) -> None:
    auth = {"Authorization": f"Bearer {tenant.token}", "Origin": CONSOLE}
    ok = httpx.get(f"{cors.url}/api/me", headers=auth)
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == CONSOLE
    exposed = {h.strip().lower() for h in ok.headers["access-control-expose-headers"].split(",")}
    assert {"x-request-id", "x-ratelimit-remaining", "retry-after", "etag"} <= exposed
    assert "Origin" in ok.headers["vary"]
    refused = httpx.get(f"{cors.url}/api/me", headers={"Origin": "http://127.0.0.1:5173"})
    error_of(refused, 401, "UNAUTHORIZED")
    assert refused.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"


def test_without_the_setting_no_answer_carries_cors_headers(live: LiveServer, tenant: Tenant) -> None:
    r = httpx.get(f"{live.url}/api/me", headers={"Authorization": f"Bearer {tenant.token}", "Origin": CONSOLE})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    error_of(_preflight(live.url, CONSOLE), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("value", ["console.example.com", "https://console.example.com/", "ftp://x.example", "https://"])
def test_a_value_that_is_no_origin_fails_at_start_up(value: str) -> None:
    with pytest.raises(ValidationError, match="MAILSENTINEL_CORS_ORIGINS"):
        Settings.from_env({"MAILSENTINEL_CORS_ORIGINS": value})
