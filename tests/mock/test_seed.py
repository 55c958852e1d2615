"""The seed: a well-known token that works at once, sample domains matching the zone files,
the same IDs on every start, and `--seed FILE` fixtures."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mocks.ports import ZONES_DIR
from mocks.seed import load_seed, parse_seed
from sentinel.accounts.tokens import TOKEN_PREFIX
from sentinel.app import Services, build_services, create_app
from sentinel.dns.zones import ZoneClient
from sentinel.errors import ValidationError
from sentinel.pagination import PageRequest
from tests.mock.conftest import OWNER_TOKEN, SEED, VIEWER_TOKEN, mock_settings
from tests.support.api import error_of
from tests.support.server import LiveServer


def test_well_known_tokens_have_the_real_format() -> None:
    for token in (OWNER_TOKEN, VIEWER_TOKEN):
        assert token.startswith(TOKEN_PREFIX)
        assert token[len(TOKEN_PREFIX):].isalnum() and len(token) == len(TOKEN_PREFIX) + 40


def test_the_well_known_token_works_at_once(owner: httpx.Client) -> None:
    me = owner.get("/api/me").json()["data"]
    assert me["user"]["email"] == "owner@example.com"
    assert [m["organization"]["name"] for m in me["memberships"]] == ["Example Corp"]
    assert me["memberships"][0]["role"] == "owner"


def test_sample_domains_good_and_broken(owner: httpx.Client) -> None:
    domains = owner.get("/api/domains").json()["data"]["domains"]
    by_name = {d["domain"]: d for d in domains}
    assert set(by_name) == {"example.com", "example.net", "example.org", "legacy.example.org", "parked.example.com"}
    assert by_name["example.com"]["verified"] is True
    assert by_name["example.org"]["verified"] is False


def test_verification_records_are_published_in_the_zone_files(mock_services: Services) -> None:
    """The zone files carry the TXT values the deterministic IDs give the verified seed domains."""
    zones = ZoneClient.from_directory(ZONES_DIR)
    principal = mock_services.tokens.authenticate(OWNER_TOKEN)
    domains = mock_services.domains.list_visible(principal, PageRequest())["domains"]
    assert sum(d["verified"] for d in domains) == 4
    for domain in domains:
        if not domain["verified"]:
            continue
        record = domain["verification"]
        answer = asyncio.run(zones.query(record["recordName"], "TXT"))
        assert record["recordValue"] in answer.records, domain["domain"]


def test_the_viewer_token_reads_but_cannot_write(mock_live: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
    with httpx.Client(base_url=mock_live.url, headers=headers, timeout=60) as viewer:
        assert viewer.get("/api/domains").status_code == 200
        org_id = viewer.get("/api/me").json()["data"]["memberships"][0]["organization"]["id"]
        r = viewer.post(f"/api/organizations/{org_id}/domains", json={"domain": "new.example.com"})
        error_of(r, 403, "FORBIDDEN")


def _snapshot(services: Services) -> dict[str, Any]:
    with LiveServer(create_app(services.settings, "mock", services=services)) as server:
        headers = {"Authorization": f"Bearer {OWNER_TOKEN}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as c:
            return {
                "me": c.get("/api/me").json(),
                "domains": c.get("/api/domains").json(),
                "organizations": c.get("/api/organizations").json(),
                "tokens": c.get("/api/tokens").json(),
            }


def test_two_starts_answer_identically() -> None:
    first = build_services(mock_settings(), "mock")
    second = build_services(mock_settings(), "mock")
    try:
        assert _snapshot(first) == _snapshot(second)
    finally:
        first.db.dispose()
        second.db.dispose()


def test_a_seed_file_replaces_the_default(tmp_path: Path) -> None:
    seed = {
        "clock": "2030-06-01T12:00:00Z",
        "organizations": [{
            "name": "Fixture Org",
            "plan": "enterprise",
            "owner": {"email": "fixture@example.com",
                      "token": {"name": "fixture", "secret": "ms_live_FixtureOwnerToken0000000000000000000001"}},
            "domains": [{"domain": "example.org"}],
        }],
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    services = build_services(mock_settings(mock_seed=str(path)), "mock")
    try:
        assert services.mock is not None
        assert [t.email for t in services.mock.tokens] == ["fixture@example.com"]
        principal = services.tokens.authenticate("ms_live_FixtureOwnerToken0000000000000000000001")
        assert principal.plan == "enterprise"
        assert services.clock.now().isoformat().startswith("2030-06-01T12:00:00")
        # The default seed's token does not exist here.
        with pytest.raises(Exception, match="Invalid API token"):
            services.tokens.authenticate(OWNER_TOKEN)
    finally:
        services.db.dispose()


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ([], "document"),
        ({"version": 2, "organizations": []}, "version"),
        ({"organizations": [{"name": "x", "owner": {}}]}, "organizations[0].owner.email"),
        ({"organizations": [{"name": "x", "owner": {"email": "a@example.com", "token": {"secret": "abc"}}}]},
         "organizations[0].owner.token.secret"),
        ({"organizations": [{"name": "x", "owner": {"email": "a@example.com"},
                             "members": [{"email": "b@example.com", "role": "boss"}]}]},
         "organizations[0].members[0].role"),
        ({"clock": "yesterday", "organizations": []}, "clock"),
    ],
)
def test_bad_seeds_are_refused_naming_the_place(document: Any, where: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_seed(document)
    assert caught.value.details[0].field == where


def test_a_missing_or_broken_seed_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="Cannot read"):
        load_seed(tmp_path / "absent.json")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValidationError, match="not JSON"):
        load_seed(tmp_path / "broken.json")


def test_the_shipped_seed_is_the_default() -> None:
    seed = load_seed(Path(__file__).resolve().parents[2] / "mocks" / "seed.json")
    assert seed.raw == SEED
    assert seed.source == "mocks/seed.json"


def test_sample_reports_are_there_from_the_start(owner: httpx.Client) -> None:
    domains = {d["domain"]: d["id"] for d in owner.get("/api/domains").json()["data"]["domains"]}
    reports = owner.get("/api/reports").json()["data"]
    assert reports["pagination"]["total"] == 3
    stats = owner.get(f"/api/domains/{domains['example.com']}/stats").json()["data"]
    assert stats["summary"]["messages"] == 2700 + 1010
    assert stats["summary"]["dmarcFail"] == 37 + 12
    assert [day["date"] for day in stats["timeSeries"]] == ["2026-01-13", "2026-01-14"]
    sources = owner.get(f"/api/domains/{domains['example.com']}/sources", params={"sort": "failures"}).json()["data"]
    assert sources["sources"][0]["sourceIp"] == "203.0.113.66"
    # The seeded reports taught the domain its DKIM selector.
    legacy = owner.get(f"/api/domains/{domains['legacy.example.org']}").json()["data"]["domain"]
    assert legacy["learnedDkimSelectors"] == ["legacy"]


SEED_OWNER_SECRET = "ms_live_" + "R" * 40


def _seed_with_reports(reports: list[Any]) -> dict[str, Any]:
    return {
        "version": 1,
        "organizations": [
            {
                "name": "R",
                "owner": {"email": "r@example.com", "token": {"name": "t", "secret": SEED_OWNER_SECRET}},
                "domains": [{"domain": "example.com"}],
                "reports": reports,
            }
        ],
    }


def test_seed_reports_inline_and_by_name(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "mocks" / "reports" / "google.com!example.com!20260113.xml"
    inline = shipped.read_text(encoding="utf-8").replace("8423166214357601", "inline-1")
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(_seed_with_reports([{"xml": inline}, {"file": "Outlook.com!example.com!20260114.xml"}])))
    services = build_services(mock_settings(mock_seed=str(path)), "mock")
    principal = services.tokens.authenticate(SEED_OWNER_SECRET)
    listed = services.reports.list_reports(principal, PageRequest())
    assert sorted(r["reportId"] for r in listed["reports"]) == ["a1f0c3d2e5b74e8f9a1b2c3d4e5f6a7b", "inline-1"]


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        ([{"file": "../seed.json"}], "no shipped report"),
        ([{"file": "nope.xml"}], "no shipped report"),
        ([{}], "either"),
        ([{"xml": "<feedback/>", "file": "x"}], "either"),
    ],
)
def test_bad_seed_reports_are_refused(reports: list[Any], message: str, tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(_seed_with_reports(reports)))
    with pytest.raises(ValidationError, match=message):
        build_services(mock_settings(mock_seed=str(path)), "mock")
