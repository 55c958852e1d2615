"""Every resource method of the blocking client, against the mock's seed (see test_sdk_async.py
for the same calls on the async client; test_sdk_spec.py checks both files call every method)."""

from __future__ import annotations

import datetime as dt
import os

import httpx
import pytest
from sdk_testing import OWNER_TOKEN, ROOT, VIEWER_TOKEN, Receiver, eventually, run_due_jobs

import mailsentinel
from mailsentinel import MailSentinel, NotFoundError, NotModified, SyncPage, WebhookVerificationError

SEED_SNIPPET = """
from mailsentinel import MailSentinel
client = MailSentinel(api_key=os.environ['MAILSENTINEL_API_KEY'])
domains = client.domains.list('org_123')
"""


def test_the_seeds_example_runs_as_written(mock_url: str, monkeypatch: pytest.MonkeyPatch, org_id: str) -> None:
    monkeypatch.setenv("MAILSENTINEL_API_KEY", OWNER_TOKEN)
    monkeypatch.setenv("MAILSENTINEL_BASE_URL", mock_url)
    # As written: the mock's seeded organization is the docs' org_123.
    assert org_id == "org_123"
    scope: dict[str, object] = {"os": os}
    exec(SEED_SNIPPET, scope)
    scope["client"].close()  # type: ignore[attr-defined]
    domains = scope["domains"]
    assert isinstance(domains, SyncPage)
    assert [d["domain"] for d in domains] == [
        "example.com", "example.net", "example.org", "legacy.example.org", "parked.example.com",
    ]


def test_health_and_me(client: MailSentinel) -> None:
    assert client.health.get()["status"] == "ok"
    me = client.me.get()
    assert me["user"]["email"] == "owner@example.com"
    assert me["memberships"][0]["role"] == "owner"


def test_tokens(client: MailSentinel) -> None:
    expires = dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)
    created = client.tokens.create(name="CI pipeline", scopes=["read"], expires_at=expires)
    assert created["token"].startswith("ms_live_") and created["expiresAt"] == "2031-01-01T00:00:00Z"
    assert created["id"] in {t["id"] for t in client.tokens.list()}
    assert client.tokens.get(created["id"])["name"] == "CI pipeline"
    rotated = client.tokens.rotate(created["id"])
    assert rotated["token"] != created["token"]
    assert client.tokens.revoke(created["id"])["status"] == "revoked"
    # The rotated secret worked until the revocation: a client with it is refused now.
    with pytest.raises(mailsentinel.AuthenticationError):
        client.with_options(api_key=rotated["token"]).me.get()


def test_organizations(client: MailSentinel) -> None:
    created = client.organizations.create(name="Second Corp", plan="free")
    assert created["role"] == "owner"
    assert {o["name"] for o in client.organizations.list()} == {"Example Corp", "Second Corp"}
    assert client.organizations.get(created["id"])["plan"] == "free"
    assert client.organizations.update(created["id"], plan="pro")["plan"] == "pro"
    assert client.organizations.delete(created["id"]) == {"id": created["id"], "deleted": True}
    with pytest.raises(NotFoundError):
        client.organizations.get(created["id"])


def test_members(client: MailSentinel, org_id: str) -> None:
    added = client.members.add(org_id, email="bo@example.com", role="member", name="Bo")
    assert added["role"] == "member"
    assert {m["email"] for m in client.members.list(org_id)} >= {"owner@example.com", "bo@example.com"}
    assert client.members.get(org_id, added["userId"])["name"] == "Bo"
    assert client.members.update(org_id, added["userId"], role="admin")["role"] == "admin"
    assert client.members.remove(org_id, added["userId"])["deleted"] is True


def test_domains_pages_and_filters(client: MailSentinel, org_id: str) -> None:
    page = client.domains.list(org_id, limit=2)
    assert len(page.items) == 2 and page.pagination == {"page": 1, "limit": 2, "total": 5, "totalPages": 3}
    assert page.has_next_page()
    second = page.next_page()
    assert second.pagination["page"] == 2 and second.items[0]["domain"] == "example.org"
    pages = list(page.iter_pages())
    assert [p.pagination["page"] for p in pages] == [1, 2, 3] and not pages[-1].has_next_page()
    with pytest.raises(mailsentinel.MailSentinelError):
        pages[-1].next_page()
    assert len(list(page)) == 5  # iterating a page walks the rest
    unverified = client.domains.list_all(verified=False, q="example", organization_id=org_id, limit=1)
    assert [d["domain"] for d in unverified] == ["example.org"]


def test_domain_lifecycle_scans_and_verification(client: MailSentinel, org_id: str) -> None:
    created = client.domains.create(org_id, domain="example.info", description="new", dkim_selectors=["s1"])
    assert created["domain"] == "example.info" and created["dkimSelectors"] == ["s1"]
    cleared = client.domains.update(created["id"], description=None)  # JSON null clears it
    assert cleared["description"] is None and cleared["dkimSelectors"] == ["s1"]
    assert client.domains.delete(created["id"])["deleted"] is True

    domain = next(d for d in client.domains.list(org_id) if d["domain"] == "example.com")
    scan = client.domains.scan(domain["id"])
    assert scan["dmarc"]["policy"] == "reject" and scan["spf"]["valid"] is True
    summaries = client.domains.scans(domain["id"])
    assert scan["id"] in {s["id"] for s in summaries}
    assert client.scans.get(scan["id"])["domain"] == "example.com"
    verification = client.domains.verify(domain["id"])
    assert verification["verification"]["verified"] is True and verification["domain"]["verified"] is True
    detail = client.domains.get(domain["id"])
    assert detail["dmarcRecords"] and detail["dmarcRecords"][0]["current"] is True


def test_stats_and_sources(client: MailSentinel, org_id: str) -> None:
    domain = next(d for d in client.domains.list(org_id) if d["domain"] == "example.com")
    stats = client.domains.stats(domain["id"], from_=dt.date(2026, 1, 1), to="2026-01-31")
    assert stats["from"] == "2026-01-01" and stats["summary"]["messages"] > 0
    sources = client.domains.sources(domain["id"], sort="failures", limit=1)
    assert sources.pagination["total"] >= 2 and len(list(sources)) == sources.pagination["total"]


def test_reports_list_get_delete(client: MailSentinel, org_id: str) -> None:
    reports = client.reports.list(organization_id=org_id, reporter="google.com")
    assert [r["orgName"] for r in reports] == ["google.com"]
    report = client.reports.get(reports.items[0]["id"], limit=1)
    assert report["report"]["orgName"] == "google.com" and report["pagination"]["limit"] == 1
    assert client.reports.delete(report["report"]["id"])["deleted"] is True
    assert client.reports.list(reporter="google.com").items == []


def test_webhooks_and_deliveries(client: MailSentinel, org_id: str, mock_url: str, receiver: Receiver) -> None:
    created = client.webhooks.create(org_id, url=receiver.url, description="SDK receiver", events=["report.received"])
    hook, secret = created["webhook"], created["secret"]
    assert secret.startswith("whsec_") and hook["events"] == ["report.received"] and hook["enabled"] is True
    assert [w["id"] for w in client.webhooks.list(org_id)] == [hook["id"]]
    assert client.webhooks.get(hook["id"])["description"] == "SDK receiver"
    updated = client.webhooks.update(hook["id"], description="every event", events=None)  # null: every type
    assert updated["description"] == "every event" and updated["events"] is None

    sent = client.webhooks.test(hook["id"])
    assert sent["event"] == "webhook.test" and sent["status"] == "succeeded" and sent["lastStatusCode"] == 204
    body, headers = receiver.wait_for("webhook.test")[0]
    assert mailsentinel.webhooks.verify(body, headers, secret) == sent["payload"]
    assert [d["id"] for d in client.deliveries.list(hook["id"], event="webhook.test")] == [sent["id"]]
    detail = client.deliveries.get(hook["id"], sent["id"])
    assert [a["statusCode"] for a in detail["attempts"]] == [204] and detail["attempts"][0]["address"] == "127.0.0.1"

    # A receiver that fails: the delivery waits for its retry; disabling the endpoint fails it,
    # and recover sends it again once the receiver is back.
    receiver.status = 500
    failing = client.webhooks.test(hook["id"])
    assert failing["status"] == "pending" and failing["lastStatusCode"] == 500
    client.webhooks.update(hook["id"], enabled=False)
    assert client.deliveries.get(hook["id"], failing["id"])["status"] == "failed"
    assert [d["id"] for d in client.deliveries.list(hook["id"], status="failed")] == [failing["id"]]
    receiver.status = 204
    client.webhooks.update(hook["id"], enabled=True)
    assert client.webhooks.recover(hook["id"], since=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)) == \
        {"recovered": 1}
    run_due_jobs(mock_url)
    assert len(receiver.wait_for("webhook.test", 3)) == 3
    eventually(lambda: client.deliveries.get(hook["id"], failing["id"])["status"] == "succeeded")

    redelivered = client.deliveries.redeliver(hook["id"], sent["id"])
    assert redelivered["id"] == sent["id"] and redelivered["status"] == "pending"
    run_due_jobs(mock_url)
    again = receiver.wait_for("webhook.test", 4)[-1]
    assert again[1]["webhook-id"] == headers["webhook-id"]  # the same message, so receivers can dedupe
    assert mailsentinel.webhooks.verify(*again, secret)["id"] == sent["payload"]["id"]

    rotated = client.webhooks.rotate_secret(hook["id"])
    assert rotated["secret"] != secret and rotated["webhook"]["secretRotatedAt"] is not None
    client.webhooks.test(hook["id"])
    body, headers = receiver.wait_for("webhook.test", 5)[-1]
    assert mailsentinel.webhooks.verify(body, headers, rotated["secret"])["event"] == "webhook.test"
    assert mailsentinel.webhooks.verify(body, headers, secret)["event"] == "webhook.test"  # old one, for 24 h
    with pytest.raises(WebhookVerificationError):
        mailsentinel.webhooks.verify(body.replace(b"webhook.test", b"webhook.tost"), headers, rotated["secret"])

    assert client.webhooks.delete(hook["id"])["deleted"] is True
    with pytest.raises(NotFoundError):
        client.webhooks.get(hook["id"])


def test_alert_rules(client: MailSentinel, org_id: str) -> None:
    names = [r["name"] for r in client.alert_rules.list(org_id)]
    assert len(names) == 7 and names[-1] == "Any DKIM key change on example.com"  # six defaults, one seeded
    org = next(d for d in client.domains.list(org_id) if d["domain"] == "example.org")
    rule = client.alert_rules.create(
        org_id, name="SPF near   the limit", type="dns_error", severity="warning",
        domain_ids=[org["id"]], params={"spfLookupThreshold": 8},
    )
    assert rule["name"] == "SPF near the limit" and rule["domainIds"] == [org["id"]]
    assert rule["params"]["spfLookupThreshold"] == 8
    assert client.alert_rules.get(rule["id"])["severity"] == "warning"
    changed = client.alert_rules.update(rule["id"], enabled=False, domain_ids=None)
    assert changed["enabled"] is False and changed["domainIds"] is None
    assert client.alert_rules.delete(rule["id"])["deleted"] is True
    with pytest.raises(NotFoundError):
        client.alert_rules.get(rule["id"])


def test_alerts_and_domain_changes(client: MailSentinel, org_id: str, mock_url: str) -> None:
    domain = next(d for d in client.domains.list(org_id) if d["domain"] == "example.com")
    client.domains.scan(domain["id"])
    assert client.domains.changes(domain["id"]).items == []  # one scan: nothing to compare yet
    # The published DMARC policy weakens from reject to none; the next scan sees it.
    zone = (ROOT / "mocks" / "zones" / "example.com.zone").read_text(encoding="utf-8")
    weaker = zone.replace("p=reject; sp=reject;", "p=none;")
    assert weaker != zone
    assert httpx.post(f"{mock_url}/_mock/zones", json={"zone": weaker}, timeout=60).status_code == 200
    client.domains.scan(domain["id"])
    changes = client.domains.changes(domain["id"], record="dmarc")
    assert [(c["change"], c["after"]) for c in changes] == [
        ("changed", "v=DMARC1; p=none; adkim=s; aspf=s; rua=mailto:dmarc@example.com"),
    ]
    assert client.domains.changes(domain["id"], record="dkim").items == []

    weakened = client.alerts.list(org_id, type="policy_weakened", domain_id=domain["id"], status="open")
    assert len(weakened.items) == 1
    alert = client.alerts.get(weakened.items[0]["id"])
    assert alert["domain"] == "example.com" and alert["status"] == "open"
    acknowledged = client.alerts.acknowledge(alert["id"])
    assert acknowledged["status"] == "acknowledged" and acknowledged["acknowledgedAt"] is not None
    resolved = client.alerts.resolve(alert["id"])
    assert resolved["status"] == "resolved" and resolved["resolvedAt"] is not None
    assert alert["id"] in {a["id"] for a in client.alerts.list(org_id, status="resolved", from_="2026-01-15")}
    assert client.alerts.list(org_id, type="policy_weakened", status="open").items == []


def test_raw_responses_and_etags(client: MailSentinel, org_id: str) -> None:
    raw = client.with_raw_response.domains.list(org_id, limit=1)
    assert raw.status_code == 200 and raw.request_id and raw.request_id.startswith("req_")
    assert raw.rate_limit is not None and raw.rate_limit.limit >= raw.rate_limit.remaining
    page = raw.parse()
    assert page.pagination["total"] == 5
    with pytest.raises(NotModified) as unchanged:
        client.domains.list(org_id, limit=1, if_none_match=raw.etag)
    assert unchanged.value.etag == raw.etag
    again = client.with_raw_response.domains.list(org_id, limit=1, if_none_match=raw.etag)
    assert again.not_modified and again.status_code == 304
    with pytest.raises(NotModified):
        again.parse()
    me = client.with_raw_response.me.get()
    assert me.parse()["user"]["email"] == "owner@example.com" and me.headers["Cache-Control"]


def test_client_options(mock_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILSENTINEL_API_KEY", raising=False)
    monkeypatch.delenv("MAILSENTINEL_BASE_URL", raising=False)
    with pytest.raises(mailsentinel.MailSentinelError, match="MAILSENTINEL_API_KEY"):
        MailSentinel()
    with MailSentinel(api_key="ms_live_x") as production:
        assert production.base_url == "https://api.mailsentinel.io"
    monkeypatch.setenv("MAILSENTINEL_API_KEY", VIEWER_TOKEN)
    monkeypatch.setenv("MAILSENTINEL_BASE_URL", mock_url + "/")
    with MailSentinel(default_headers={"X-Request-Id": "req_from_the_sdk_test"}) as viewer:
        assert viewer.base_url == mock_url
        raw = viewer.with_raw_response.me.get()
        assert raw.request_id == "req_from_the_sdk_test"
        assert raw.parse()["token"]["scopes"] == ["read"]
        owner = viewer.with_options(api_key=OWNER_TOKEN, max_retries=0)
        assert owner.max_retries == 0 and viewer.max_retries == 2
        assert owner.me.get()["user"]["email"] == "owner@example.com"
        assert owner._http is viewer._http  # one connection pool
    assert viewer._http.is_closed


def test_unknown_fields_pass_through() -> None:
    # Models are TypedDicts: a key the server adds later is one more key, never an error.
    options = mailsentinel._base_client.RequestOptions("GET", "/api/domains/dom_1", unwrap=("data", "domain"))
    answer = httpx.Response(200, json={"success": True, "data": {"domain": {"id": "dom_1", "addedLater": [1]}}})
    assert MailSentinel._value(answer, options) == {"id": "dom_1", "addedLater": [1]}
