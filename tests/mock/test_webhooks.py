"""The mock delivers webhooks for real: signed, to loopback receivers (a seeded endpoint
included), with retries going out when POST /_mock/clock moves the clock past them."""

from __future__ import annotations

import copy

import httpx

from sentinel.app import Services
from tests.mock.conftest import SEED
from tests.support.receiver import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo="


def test_a_seeded_endpoint_gets_the_seeded_reports_and_retries_on_the_clock(
    mock_services: Services, owner: httpx.Client, anonymous: httpx.Client
) -> None:
    with Receiver(SECRET) as rx:
        seed = copy.deepcopy(SEED)
        seed["organizations"][0]["webhooks"] = [{"url": rx.url, "secret": SECRET, "events": ["report.received"]}]
        assert anonymous.post("/_mock/seed", json=seed).status_code == 200
        rx.script([500, 500, 500])  # the three seeded reports fail once each
        moved = anonymous.post("/_mock/clock", json={"advanceSeconds": 0}).json()["data"]
        assert moved["jobsRun"] >= 3
        assert len(rx.wait_for(3)) == 3
        # Not due yet: nothing goes out until the clock passes the 5 s retry.
        anonymous.post("/_mock/clock", json={"advanceSeconds": 1})
        assert len(rx.requests) == 3
        anonymous.post("/_mock/clock", json={"advanceSeconds": 10})
        got = rx.wait_for(6)
    assert all(r.verified for r in got)
    assert {r.payload["event"] for r in got} == {"report.received"}
    assert [r.status for r in got] == [500, 500, 500, 200, 200, 200]
    hooks = owner.get(f"/api/organizations/{_org(owner)}/webhooks").json()
    (hook,) = hooks["data"]["webhooks"]
    assert hook["stats"]["lastSuccessAt"] and hook["url"] == rx.url


def _org(owner: httpx.Client) -> str:
    return str(owner.get("/api/me").json()["data"]["memberships"][0]["organization"]["id"])


def test_the_mock_reaches_loopback_only(owner: httpx.Client) -> None:
    org = _org(owner)
    r = owner.post(f"/api/organizations/{org}/webhooks", json={"url": "https://93.184.215.14/hook"})
    assert r.status_code == 400 and "loopback" in r.json()["error"]["message"]
    with Receiver() as rx:
        created = owner.post(f"/api/organizations/{org}/webhooks", json={"url": rx.url}).json()["data"]
        rx.secrets.append(created["secret"])
        delivery = owner.post(f"/api/webhooks/{created['webhook']['id']}/test").json()["data"]["delivery"]
        assert delivery["status"] == "succeeded" and rx.requests[0].verified
