"""The async client makes the same calls as test_sdk_resources.py and gets the same answers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sdk_testing import FIXTURES, OWNER_TOKEN, ROOT, Receiver, run_due_jobs

import mailsentinel
from mailsentinel import AsyncMailSentinel, AsyncPage


def run(mock_url: str, scenario: Callable[[AsyncMailSentinel], Awaitable[None]]) -> None:
    async def main() -> None:
        async with AsyncMailSentinel(api_key=OWNER_TOKEN, base_url=mock_url) as client:
            await scenario(client)

    asyncio.run(main())


async def _org(client: AsyncMailSentinel) -> str:
    return (await client.me.get())["memberships"][0]["organization"]["id"]


def test_async_pages(mock_url: str) -> None:
    async def scenario(client: AsyncMailSentinel) -> None:
        org = await _org(client)
        names = [d["domain"] async for d in client.domains.list(org, limit=2)]
        assert names == ["example.com", "example.net", "example.org", "legacy.example.org", "parked.example.com"]
        page = await client.domains.list(org, limit=2)
        assert isinstance(page, AsyncPage) and page.has_next_page()
        second = await page.next_page()
        assert second.pagination["page"] == 2
        assert [p.pagination["page"] async for p in page.iter_pages()] == [1, 2, 3]
        everywhere = [d["domain"] async for d in client.domains.list_all(verified=False, organization_id=org)]
        assert everywhere == ["example.org"]
        raw = await client.with_raw_response.domains.list(org, limit=1)
        assert raw.status_code == 200 and raw.parse().pagination["totalPages"] == 5
        with pytest.raises(mailsentinel.NotModified):
            await client.domains.list(org, limit=1, if_none_match=raw.etag)

    run(mock_url, scenario)


def test_async_every_resource(mock_url: str) -> None:
    async def scenario(client: AsyncMailSentinel) -> None:
        assert (await client.health.get())["status"] == "ok"
        org = await _org(client)

        token = await client.tokens.create(name="async", expires_at=dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc))
        assert token["id"] in {t["id"] async for t in client.tokens.list()}
        assert (await client.tokens.get(token["id"]))["name"] == "async"
        assert (await client.tokens.rotate(token["id"]))["token"] != token["token"]
        assert (await client.tokens.revoke(token["id"]))["status"] == "revoked"

        other = await client.organizations.create(name="Async Org")
        assert len([o async for o in client.organizations.list()]) == 2
        assert (await client.organizations.get(other["id"]))["name"] == "Async Org"
        assert (await client.organizations.update(other["id"], name="Renamed"))["name"] == "Renamed"
        assert (await client.organizations.delete(other["id"]))["deleted"] is True

        member = await client.members.add(org, email="cy@example.com", role="viewer")
        assert "cy@example.com" in {m["email"] async for m in client.members.list(org)}
        assert (await client.members.get(org, member["userId"]))["role"] == "viewer"
        assert (await client.members.update(org, member["userId"], role="member"))["role"] == "member"
        assert (await client.members.remove(org, member["userId"]))["deleted"] is True

        created = await client.domains.create(org, domain="example.info")
        assert (await client.domains.update(created["id"], dkim_selectors=["k1"]))["dkimSelectors"] == ["k1"]
        assert (await client.domains.delete(created["id"]))["deleted"] is True
        domain = next(d for d in (await client.domains.list(org)).items if d["domain"] == "example.com")
        assert (await client.domains.get(domain["id"]))["domain"] == "example.com"
        scan = await client.domains.scan(domain["id"])
        assert scan["id"] in {s["id"] async for s in client.domains.scans(domain["id"])}
        assert (await client.scans.get(scan["id"]))["dmarc"]["policy"] == "reject"
        assert (await client.domains.verify(domain["id"]))["verification"]["status"] == "verified"
        assert (await client.domains.stats(domain["id"]))["summary"]["reports"] == 2
        assert len([s async for s in client.domains.sources(domain["id"], limit=1)]) >= 2

        gzip = FIXTURES / "nice-input.xml.gz"
        uploaded = await client.reports.upload(org, gzip)
        assert uploaded["duplicate"] is False and uploaded["report"]["domain"] == "example.com"
        assert uploaded["report"]["id"] in {r["id"] async for r in client.reports.list(domain_id=domain["id"])}
        assert (await client.reports.get(uploaded["report"]["id"]))["report"]["domain"] == "example.com"
        assert (await client.reports.delete(uploaded["report"]["id"]))["deleted"] is True
        raw = await client.with_raw_response.reports.upload(
            org, FIXTURES / "estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip"
        )
        assert raw.status_code in (200, 201) and raw.parse()["report"]["orgName"]

    run(mock_url, scenario)


def test_async_webhooks_and_deliveries(mock_url: str, receiver: Receiver) -> None:
    async def scenario(client: AsyncMailSentinel) -> None:
        org = await _org(client)
        created = await client.webhooks.create(org, url=receiver.url, events=["report.received"])
        hook, secret = created["webhook"], created["secret"]
        assert hook["id"] in {w["id"] async for w in client.webhooks.list(org)}
        assert (await client.webhooks.get(hook["id"]))["url"] == receiver.url
        assert (await client.webhooks.update(hook["id"], events=None))["events"] is None

        sent = await client.webhooks.test(hook["id"])
        assert sent["status"] == "succeeded"
        body, headers = receiver.wait_for("webhook.test")[0]
        assert mailsentinel.webhooks.verify(body, headers, secret) == sent["payload"]
        assert sent["id"] in {d["id"] async for d in client.deliveries.list(hook["id"])}
        assert (await client.deliveries.get(hook["id"], sent["id"]))["attempts"][0]["statusCode"] == 204
        assert (await client.deliveries.redeliver(hook["id"], sent["id"]))["status"] == "pending"
        run_due_jobs(mock_url)
        assert len(receiver.wait_for("webhook.test", 2)) == 2
        since = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        assert await client.webhooks.recover(hook["id"], since=since) == {"recovered": 0}  # nothing failed
        rotated = await client.webhooks.rotate_secret(hook["id"])
        assert rotated["secret"] != secret
        assert (await client.webhooks.delete(hook["id"]))["deleted"] is True

    run(mock_url, scenario)


def test_async_alerts_and_changes(mock_url: str) -> None:
    async def scenario(client: AsyncMailSentinel) -> None:
        org = await _org(client)
        assert len([r async for r in client.alert_rules.list(org)]) == 7
        rule = await client.alert_rules.create(org, name="Reports stopped, 24 h", type="reports_stopped",
                                               params={"hours": 24})
        assert (await client.alert_rules.get(rule["id"]))["params"]["hours"] == 24
        assert (await client.alert_rules.update(rule["id"], severity="info"))["severity"] == "info"
        assert (await client.alert_rules.delete(rule["id"]))["deleted"] is True

        domain = next(d for d in (await client.domains.list(org)).items if d["domain"] == "example.com")
        await client.domains.scan(domain["id"])
        zone = (ROOT / "mocks" / "zones" / "example.com.zone").read_text(encoding="utf-8")
        async with httpx.AsyncClient() as control:
            answer = await control.post(f"{mock_url}/_mock/zones", json={"zone": zone.replace("-all", "~all")})
            assert answer.status_code == 200
        await client.domains.scan(domain["id"])
        changes = [c async for c in client.domains.changes(domain["id"])]
        assert [c["record"] for c in changes] == ["spf"] and changes[0]["after"].endswith("~all")

        alerts = [a async for a in client.alerts.list(org, status="open", domain_id=domain["id"])]
        assert alerts, "the seed leaves example.com with an open alert"
        alert = await client.alerts.get(alerts[0]["id"])
        assert (await client.alerts.acknowledge(alert["id"]))["status"] == "acknowledged"
        assert (await client.alerts.resolve(alert["id"]))["status"] == "resolved"

    run(mock_url, scenario)
