"""D13: no redirect built from the client's Host; a trailing slash is an unknown path."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import Tenant, error_of


@pytest.mark.parametrize("path", ["/api/me/", "/api/domains/", "/api/organizations/", "/health/"])
def test_trailing_slash_is_a_not_found_envelope(tenant: Tenant, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        r = tenant.http.get(path, headers={"Host": "evil.example", **headers}, follow_redirects=False)
        err = error_of(r, 404, "NOT_FOUND")
        assert path in err["message"]
        assert "location" not in r.headers
        if path.startswith("/api/"):
            assert "x-ratelimit-limit" in r.headers


def test_swagger_ui_redirect_is_relative(tenant: Tenant) -> None:
    r = httpx.get(tenant.http.base_url.join("/api/ui"), headers={"Host": "evil.example"})
    assert r.status_code == 307
    assert r.headers["location"] == "/api/ui/"
