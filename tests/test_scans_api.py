"""Scans and verification through the API, against a real DNS server on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sentinel.app import Services, build_services, create_app
from sentinel.settings import Settings
from sentinel.store.models import Event
from tests.support.api import Tenant, add_member_with_token, client, error_of, new_tenant
from tests.support.dns_server import LoopbackDnsServer
from tests.support.server import LiveServer

pytestmark = pytest.mark.db


def zone(dmarc: str = "v=DMARC1; p=reject; rua=mailto:dmarc@scan.example.com", extra: str = "") -> str:
    return f"""$ORIGIN scan.example.com.
$TTL 300
@        SOA  ns1 hostmaster 1 3600 600 86400 300
@        NS   ns1
ns1      A    127.0.0.53
@        MX   10 mx
mx       A    127.0.0.25
@        TXT  "v=spf1 mx -all"
_dmarc   TXT  "{dmarc}"
custom._domainkey TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
{extra}
"""


class Stack:
    """A DNS server, services pointed at it, and a live API server."""

    def __init__(self, settings: Settings, zone_text: str, **dns_options: object) -> None:
        self.dns = LoopbackDnsServer([zone_text], **dns_options)  # type: ignore[arg-type]
        self.dns.__enter__()
        self.services = build_services(settings.with_overrides(nameservers=(self.dns.nameserver,)))
        self.live = LiveServer(create_app(self.services.settings, services=self.services)).__enter__()

    def close(self) -> None:
        self.live.__exit__(None, None, None)
        self.dns.__exit__(None, None, None)
        self.services.db.dispose()


@pytest.fixture
def stack_factory(settings: Settings) -> Iterator[object]:
    stacks: list[Stack] = []

    def make(zone_text: str, **options: object) -> Stack:
        stack = Stack(settings, zone_text, **options)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()


def test_scan_is_stored_and_listed(stack_factory) -> None:
    stack = stack_factory(zone())
    t = new_tenant(stack.services, stack.live.url)
    dom = t.create_domain("scan.example.com", dkimSelectors=["custom"])
    scan = t.data(t.post(f"/api/domains/{dom['id']}/scan"))
    assert scan["id"].startswith("scn_") and scan["domainId"] == dom["id"]
    assert scan["domain"] == "scan.example.com"
    assert scan["dmarc"]["found"] and scan["dmarc"]["policy"] == "reject"
    assert scan["spf"]["valid"] and scan["spf"]["dnsLookups"] == 1
    custom = [s for s in scan["dkim"]["selectors"] if s["selector"] == "custom"]
    assert custom and custom[0]["found"] and custom[0]["keyType"] == "ed25519"
    assert t.data(t.get(f"/api/scans/{scan['id']}")) == scan
    history = t.data(t.get(f"/api/domains/{dom['id']}/scans"))
    assert [s["id"] for s in history["scans"]] == [scan["id"]]
    assert history["scans"][0]["dmarcPolicy"] == "reject" and history["scans"][0]["spfDnsLookups"] == 1
    detail = t.data(t.get(f"/api/domains/{dom['id']}"))["domain"]
    assert [r["record"] for r in detail["dmarcRecords"]] == ["v=DMARC1; p=reject; rua=mailto:dmarc@scan.example.com"]
    assert detail["spfRecords"][0]["record"] == "v=spf1 mx -all" and detail["spfRecords"][0]["current"] is True
    assert detail["dkimRecords"][0]["selector"] == "custom"
    with stack.services.db.transaction() as session:
        events = session.scalars(select(Event).where(Event.organization_id == t.org_id)).all()
        assert [e.type for e in events] == ["domain.scan.completed"]
        assert events[0].data["scanId"] == scan["id"]
    t.http.close()


def test_changed_records_keep_history(settings: Settings, stack_factory) -> None:
    first = stack_factory(zone())
    t = new_tenant(first.services, first.live.url)
    dom = t.create_domain("scan.example.com")
    t.data(t.post(f"/api/domains/{dom['id']}/scan"))
    before = t.data(t.get(f"/api/domains/{dom['id']}"))["domain"]["dmarcRecords"]
    # The same database, now with a DNS server publishing a different policy.
    second = stack_factory(zone(dmarc="v=DMARC1; p=quarantine"))
    t2 = new_tenant(second.services, second.live.url)
    t2.http.headers["Authorization"] = f"Bearer {t.token}"
    t2.data(t2.post(f"/api/domains/{dom['id']}/scan"))
    after = t2.data(t2.get(f"/api/domains/{dom['id']}"))["domain"]["dmarcRecords"]
    assert [(r["record"], r["current"]) for r in after] == [
        ("v=DMARC1; p=quarantine", True),
        ("v=DMARC1; p=reject; rua=mailto:dmarc@scan.example.com", False),
    ]
    assert after[1]["firstSeen"] == before[0]["firstSeen"]
    assert len(t2.data(t2.get(f"/api/domains/{dom['id']}/scans"))["scans"]) == 2
    t.http.close()
    t2.http.close()


def test_dns_failure_is_inside_the_result_not_a_500(stack_factory) -> None:
    stack = stack_factory(zone(), servfail=["_dmarc.scan.example.com"])
    t = new_tenant(stack.services, stack.live.url)
    dom = t.create_domain("scan.example.com")
    scan = t.data(t.post(f"/api/domains/{dom['id']}/scan"))
    assert scan["dmarc"]["status"] == "error" and scan["dmarc"]["error"]
    assert scan["spf"]["status"] == "ok" and scan["spf"]["valid"] is True
    # An undetermined part does not invent history.
    assert t.data(t.get(f"/api/domains/{dom['id']}"))["domain"]["dmarcRecords"] == []
    t.http.close()


def test_verification_outcomes(stack_factory) -> None:
    probe = stack_factory(zone())
    t = new_tenant(probe.services, probe.live.url)
    dom = t.create_domain("scan.example.com")
    token_value = dom["verification"]["recordValue"]
    missing = t.data(t.post(f"/api/domains/{dom['id']}/verify"))
    assert missing["verification"]["status"] == "not_found" and missing["domain"]["verified"] is False
    wrong = stack_factory(zone(extra='_mailsentinel TXT "mailsentinel-verify=somethingelse"'))
    t.http.base_url = wrong.live.url  # type: ignore[assignment]
    mismatch = t.data(t.post(f"/api/domains/{dom['id']}/verify"))["verification"]
    assert mismatch["status"] == "mismatch" and mismatch["foundValues"] == ["mailsentinel-verify=somethingelse"]
    right = stack_factory(zone(extra=f'_mailsentinel TXT "{token_value}"'))
    t.http.base_url = right.live.url  # type: ignore[assignment]
    done = t.data(t.post(f"/api/domains/{dom['id']}/verify"))
    assert done["verification"]["status"] == "verified" and done["domain"]["verified"] is True
    assert done["domain"]["verifiedAt"]
    listed = t.data(t.get("/api/domains", params={"verified": "true"}))["domains"]
    assert [d["id"] for d in listed] == [dom["id"]]
    with right.services.db.transaction() as session:
        types = [e.type for e in session.scalars(select(Event).where(Event.organization_id == t.org_id))]
    assert types == ["domain.verified"]
    t.http.close()


def test_dns_error_during_verification(stack_factory) -> None:
    stack = stack_factory(zone(), servfail=["_mailsentinel.scan.example.com"])
    t = new_tenant(stack.services, stack.live.url)
    dom = t.create_domain("scan.example.com")
    out = t.data(t.post(f"/api/domains/{dom['id']}/verify"))["verification"]
    assert out["status"] == "dns_error" and "try again" in out["message"]
    t.http.close()


def test_scan_roles_and_isolation(tenant: Tenant, other: Tenant, services: Services) -> None:
    dom = other.create_domain("isolated-scan.example.com")
    error_of(tenant.post(f"/api/domains/{dom['id']}/scan"), 404, "NOT_FOUND")
    error_of(tenant.post(f"/api/domains/{dom['id']}/verify"), 404, "NOT_FOUND")
    error_of(tenant.get(f"/api/domains/{dom['id']}/scans"), 404, "NOT_FOUND")
    error_of(tenant.get("/api/scans/scn_doesnotexist"), 404, "NOT_FOUND")
    # A viewer may read history but not scan.
    _viewer_id, secret = add_member_with_token(other, services, "viewer")
    with client(str(other.http.base_url), secret) as viewer:
        error_of(viewer.post(f"/api/domains/{dom['id']}/scan"), 403, "FORBIDDEN")
        error_of(viewer.post(f"/api/domains/{dom['id']}/verify"), 403, "FORBIDDEN")
        assert viewer.get(f"/api/domains/{dom['id']}/scans").status_code == 200


def test_cli_scan_json_is_the_api_scan_object(tmp_path: Path) -> None:
    with LoopbackDnsServer([zone()]) as srv:

        def scan(*extra: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "sentinel.cli", "scan", "scan.example.com"]
            command += ["--nameserver", srv.nameserver, "--selector", "custom", *extra]
            return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)

        out = scan("--json")
        text = scan("--fail-on", "warning")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["domain"] == "scan.example.com" and result["dmarc"]["policy"] == "reject"
    assert {"dmarc", "spf", "dkim", "mx", "mtaSts", "tlsRpt", "bimi", "dnssec", "issues"} <= set(result)
    assert "scan.example.com" in text.stdout and "DMARC" in text.stdout
    assert text.returncode == (1 if any(i["severity"] != "info" for i in result["issues"]) else 0)
