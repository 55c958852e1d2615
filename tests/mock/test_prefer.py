"""`Prefer` error simulation: documented codes and examples only, authentication first."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from mocks.prefer import MAX_DELAY_MS, parse_prefer
from sentinel.app import load_spec
from sentinel.errors import ValidationError
from tests.support.api import error_of

SPEC = load_spec()
RATE_LIMITED = SPEC["components"]["responses"]["RateLimited"]["content"]["application/json"]["examples"]


def test_code_429_is_the_documented_answer_with_its_headers(owner: httpx.Client) -> None:
    r = owner.get("/api/domains", headers={"Prefer": "code=429"})
    error = error_of(r, 429, "RATE_LIMITED")
    assert error["message"] == RATE_LIMITED["perMinute"]["value"]["error"]["message"]
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert int(r.headers["x-ratelimit-limit"]) > 0
    # In the future of the server's own Date header (the test's clock may lag under load).
    assert int(r.headers["x-ratelimit-reset"]) >= parsedate_to_datetime(r.headers["date"]).timestamp()


def test_a_named_example_of_a_code(owner: httpx.Client) -> None:
    r = owner.post("/api/tokens", json={"name": "x"}, headers={"Prefer": "code=429, example=perDay"})
    assert error_of(r, 429, "RATE_LIMITED")["message"] == RATE_LIMITED["perDay"]["value"]["error"]["message"]


@pytest.mark.parametrize("code", [401, 500])
def test_other_documented_codes(owner: httpx.Client, code: int) -> None:
    r = owner.get("/api/domains", headers={"Prefer": f"code={code}"})
    assert r.status_code == code
    assert r.json()["error"]["requestId"] == r.headers["x-request-id"]


def test_503_where_documented(anonymous: httpx.Client) -> None:
    r = anonymous.get("/health", headers={"Prefer": "code=503"})
    assert r.status_code == 503
    assert r.json()["status"] == "degraded"


def test_503_on_an_api_operation_says_when_to_retry(owner: httpx.Client) -> None:
    r = owner.post("/api/organizations", json={"name": "x"}, headers={"Prefer": "code=503, example=unreachable"})
    assert error_of(r, 503, "SERVICE_UNAVAILABLE")["message"] == "The database is unreachable; retry shortly."
    assert int(r.headers["retry-after"]) >= 1


def test_undocumented_codes_name_the_documented_ones(owner: httpx.Client) -> None:
    error = error_of(owner.get("/api/domains", headers={"Prefer": "code=502"}), 400, "VALIDATION_ERROR")
    assert "documented codes are 200, 304, 400, 401" in error["message"]
    assert error["details"][0]["field"] == "Prefer"


def test_authentication_comes_first(anonymous: httpx.Client) -> None:
    error_of(anonymous.get("/api/domains", headers={"Prefer": "code=429"}), 401, "UNAUTHORIZED")
    error_of(anonymous.get("/api/domains", headers={"Prefer": "example=default"}), 401, "UNAUTHORIZED")
    bad = {"Prefer": "code=200", "Authorization": "Bearer ms_live_" + "0" * 40}
    error_of(anonymous.get("/api/me", headers=bad), 401, "UNAUTHORIZED")


def test_code_401_needs_no_token(anonymous: httpx.Client) -> None:
    r = anonymous.get("/api/domains", headers={"Prefer": "code=401, example=expired"})
    error = error_of(r, 401, "UNAUTHORIZED")
    assert "expired" in error["message"]


def test_example_picks_a_spec_example_of_the_success_response(owner: httpx.Client) -> None:
    r = owner.get("/api/me", headers={"Prefer": "example=default"})
    assert r.status_code == 200
    expected = SPEC["paths"]["/api/me"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    assert r.json() == expected
    assert r.headers["etag"]


def test_unknown_example_names_the_available_ones(owner: httpx.Client) -> None:
    error = error_of(owner.get("/api/me", headers={"Prefer": "code=401, example=nope"}), 400, "VALIDATION_ERROR")
    assert "revoked, missing, expired" in error["message"]


def test_delay(owner: httpx.Client) -> None:
    started = time.perf_counter()
    assert owner.get("/api/me", headers={"Prefer": "delay=250"}).status_code == 200
    assert time.perf_counter() - started >= 0.25
    error_of(owner.get("/api/me", headers={"Prefer": f"delay={MAX_DELAY_MS + 1}"}), 400, "VALIDATION_ERROR")


def test_a_simulation_changes_nothing(owner: httpx.Client) -> None:
    before = owner.get("/api/organizations").json()["data"]["pagination"]["total"]
    r = owner.post("/api/organizations", json={"name": "Ghost"}, headers={"Prefer": "example=default"})
    assert r.status_code == 201
    assert owner.get("/api/organizations").json()["data"]["pagination"]["total"] == before


@pytest.mark.parametrize(
    ("header", "code", "example", "delay"),
    [
        ("code=404", 404, None, 0),
        ('code="429"; x=1, example=perDay', 429, "perDay", 0),
        ("return=minimal, delay=10", None, None, 10),
        ("respond-async", None, None, 0),
    ],
)
def test_parse_prefer(header: str, code: int | None, example: str | None, delay: int) -> None:
    pref = parse_prefer([header])
    assert (pref.code, pref.example, pref.delay_ms) == (code, example, delay)


@pytest.mark.parametrize("header", ["code=abc", "code=99", "code=1000", "delay=-5", "delay=fast"])
def test_parse_prefer_refuses_bad_values(header: str) -> None:
    with pytest.raises(ValidationError):
        parse_prefer([header])
