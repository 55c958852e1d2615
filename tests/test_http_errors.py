"""Every error, the framework's included, comes out in the envelope with a request id."""

from __future__ import annotations

import logging

import httpx
import pytest

from sentinel.app import build_services, create_app
from sentinel.settings import Settings
from tests.support.api import Tenant, error_of
from tests.support.server import LiveServer


def test_unknown_path_is_json_not_found(tenant: Tenant) -> None:
    err = error_of(tenant.get("/api/nothing-here"), 404, "NOT_FOUND")
    assert "/api/nothing-here" in err["message"]
    error_of(tenant.get("/definitely/not/here"), 404, "NOT_FOUND")


def test_wrong_method_lists_the_allowed_ones(tenant: Tenant) -> None:
    r = tenant.http.put("/api/domains")
    error_of(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers["allow"] == "GET, HEAD"
    r = tenant.http.put(f"/api/organizations/{tenant.org_id}")
    error_of(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers["allow"] == "DELETE, GET, HEAD, PATCH"


def test_malformed_json(tenant: Tenant) -> None:
    r = tenant.post("/api/organizations", content=b'{"name": ', headers={"content-type": "application/json"})
    err = error_of(r, 400, "VALIDATION_ERROR")
    assert err["message"]


def test_body_that_is_not_utf8(tenant: Tenant) -> None:
    r = tenant.post("/api/organizations", content=b'{"name": "\xff\xfe"}', headers={"content-type": "application/json"})
    err = error_of(r, 400, "VALIDATION_ERROR")
    assert "UTF-8" in err["message"]


def test_wrong_types_name_the_field(tenant: Tenant) -> None:
    err = error_of(tenant.get("/api/domains", params={"limit": "many"}), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "limit"
    assert "limit" in err["message"]
    err = error_of(tenant.post("/api/organizations", json={"name": 42}), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "name"
    err = error_of(tenant.post("/api/organizations", json={}), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "name"


def test_unknown_query_parameter_is_rejected(tenant: Tenant) -> None:
    err = error_of(tenant.get("/api/domains", params={"verifed": "true"}), 400, "VALIDATION_ERROR")
    assert "verifed" in err["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Bearer ms_live_" + "x" * 40},
    ],
)
def test_missing_or_bad_token(live: LiveServer, headers: dict[str, str]) -> None:
    r = httpx.get(f"{live.url}/api/me", headers=headers, timeout=60)
    err = error_of(r, 401, "UNAUTHORIZED")
    assert err["message"]


def test_unsupported_media_type(tenant: Tenant) -> None:
    r = tenant.post("/api/organizations", content=b"name=Acme", headers={"content-type": "text/plain"})
    error_of(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_oversize_body_declared(tenant: Tenant) -> None:
    body = b'{"name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    r = tenant.post("/api/organizations", content=body, headers={"content-type": "application/json"})
    err = error_of(r, 413, "PAYLOAD_TOO_LARGE")
    assert "bytes" in err["message"]


def test_oversize_body_streamed_without_length(tenant: Tenant) -> None:
    def chunks():  # no Content-Length: the limit must hold while reading
        yield b'{"name": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    r = tenant.post("/api/organizations", content=chunks(), headers={"content-type": "application/json"})
    error_of(r, 413, "PAYLOAD_TOO_LARGE")


def test_request_id_is_echoed_when_sane_and_replaced_otherwise(tenant: Tenant) -> None:
    r = tenant.get("/api/me", headers={"X-Request-Id": "client-abc.123"})
    assert r.headers["x-request-id"] == "client-abc.123"
    r = tenant.get("/api/me", headers={"X-Request-Id": "bad id with spaces <script>"})
    assert r.headers["x-request-id"].startswith("req_")
    r = httpx.get(tenant.http.base_url.join("/health"), timeout=60)
    assert r.headers["x-request-id"].startswith("req_")


def test_unexpected_exception_is_internal_error_and_logged(caplog: pytest.LogCaptureFixture, tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'boom.db'}")
    services = build_services(settings)
    boot = services.organizations.bootstrap("boom@example.com", "Boom")

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    services.domains.list_visible = explode  # type: ignore[method-assign]
    with LiveServer(create_app(settings, services=services)) as server, caplog.at_level(logging.ERROR):
        r = httpx.get(f"{server.url}/api/domains", headers={"Authorization": f"Bearer {boot.token}"}, timeout=60)
    err = error_of(r, 500, "INTERNAL_ERROR")
    assert "disk on fire" not in err["message"]
    logged = [rec for rec in caplog.records if err["requestId"] in rec.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "disk on fire" in str(logged[0].exc_info[1])


def test_health_reports_database(live: LiveServer) -> None:
    r = httpx.get(f"{live.url}/health", timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"
    assert body["timestamp"].endswith("Z")


def test_health_degraded_when_database_unreachable(tmp_path) -> None:
    from sentinel.store.db import Database

    # A database in a directory that does not exist: no connection can be opened.
    settings = Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/h.db")
    services = build_services(settings, db=Database(settings.database_url), migrate=False)
    with LiveServer(create_app(settings, services=services)) as server:
        r = httpx.get(f"{server.url}/health", timeout=60)
    assert r.status_code == 503
    assert r.json()["status"] == "degraded"
    assert r.json()["database"]["status"] == "unavailable"


def test_swagger_ui_and_spec_are_served(live: LiveServer) -> None:
    assert httpx.get(f"{live.url}/api/ui/").status_code == 200
    spec = httpx.get(f"{live.url}/api/openapi.json").json()
    assert spec["openapi"] == "3.0.3"
    assert httpx.get(f"{live.url}/api/openapi.yaml").status_code == 200


def test_etag_and_not_modified(tenant: Tenant) -> None:
    r = tenant.get("/api/organizations")
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "private, no-cache"
    r2 = tenant.get("/api/organizations", headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    tenant.patch(f"/api/organizations/{tenant.org_id}", json={"name": "Renamed"})
    r3 = tenant.get("/api/organizations", headers={"If-None-Match": etag})
    assert r3.status_code == 200 and r3.headers["etag"] != etag


def test_format_errors_name_the_field_and_keep_the_pattern(tenant: Tenant) -> None:
    err = error_of(tenant.post("/api/organizations", json={"name": "\x1c"}), 400, "VALIDATION_ERROR")
    assert err["message"] == "'name' does not have the expected format."
    assert err["details"][0]["field"] == "name" and "does not match" in err["details"][0]["message"]
    err = error_of(tenant.get("/api/domains/not-a-domain-id"), 400, "VALIDATION_ERROR")
    assert "domainId" in err["message"]
