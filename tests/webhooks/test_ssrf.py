"""SSRF: a URL whose host is, or resolves to, a refused address is refused at creation with a
VALIDATION_ERROR saying why, and again at every attempt, before any connection is opened."""

from __future__ import annotations

from typing import Any

import pytest

from sentinel.app import Services
from sentinel.errors import ValidationError
from sentinel.worker import Worker
from tests.support.api import Tenant
from tests.support.receiver import Receiver, Reply
from tests.webhooks.conftest import RecordingNetwork, add_webhook, upload_report


def _principal(services: Services, t: Tenant) -> Any:
    return services.tokens.authenticate(t.token)


def _network(services: Services) -> RecordingNetwork:
    network = services.deliverer.sender.network
    assert isinstance(network, RecordingNetwork)
    return network


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.0.0.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "IPv4-mapped"),
        ("https://private.hooks.test/hook", "private"),
        ("https://metadata.hooks.test/hook", "link-local"),
        ("https://loop.hooks.test/hook", "loopback"),
        ("https://localhost:8443/hook", "loopback"),
        ("https://100.64.0.1/hook", "carrier-grade NAT"),
        ("https://[64:ff9b::a00:1]/hook", "NAT64"),
        ("http://192.0.2.1/hook", "documentation"),
    ],
)
def test_refused_at_creation_without_connecting(strict: Services, owner: Tenant, url: str, reason: str) -> None:
    before = list(_network(strict).connected)
    with pytest.raises(ValidationError) as refused:
        strict.webhooks.create(_principal(strict, owner), owner.org_id, {"url": url})
    assert reason in refused.value.message and refused.value.details[0].field == "url"
    assert _network(strict).connected == before


def test_refused_over_the_api_with_the_reason(owner: Tenant) -> None:
    # The test server allows 127.0.0.0/8, not ::1 and never the IPv4-mapped form.
    for url, reason in [("https://[::1]/x", "loopback"), ("https://[::ffff:127.0.0.1]/x", "IPv4-mapped"),
                        ("https://10.0.0.1/x", "private"), ("ftp://example.com/x", "url"),
                        ("https://user:pw@127.0.0.1/x", "Credentials"), ("https://127.0.0.1:0/x", "port"),
                        ("https://a..b/x", "could not be resolved")]:
        r = owner.post(f"/api/organizations/{owner.org_id}/webhooks", json={"url": url})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "VALIDATION_ERROR" and reason in error["message"], error


def test_plain_http_only_inside_the_allowed_networks(owner: Tenant, strict: Services) -> None:
    before = list(_network(strict).connected)
    with pytest.raises(ValidationError, match="plain http://"):
        strict.webhooks.create(_principal(strict, owner), owner.org_id, {"url": "http://public.hooks.test/"})
    assert _network(strict).connected == before
    # A host with one allowed and one refused address: only the vetted one is ever used.
    with Receiver() as rx:
        hook, _ = add_webhook(owner, f"http://mixed.hooks.test:{rx.port}/hook")
        delivery = owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))["delivery"]
    assert delivery["status"] == "succeeded" and delivery["attempts"][0]["address"] == "127.0.0.1"


def test_checked_again_at_every_attempt(owner: Tenant, hooks: Services, strict: Services) -> None:
    """An endpoint allowed when created is refused by a server whose policy no longer allows it."""
    with Receiver() as rx:
        hook, _ = add_webhook(owner, rx.url)
        upload_report(owner)
        before = list(_network(strict).connected)
        Worker(strict.jobs, strict.clock).drain()
        assert rx.requests == [] and rx.connections == 0
        assert _network(strict).connected == before
    (delivery,) = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries"))["deliveries"]
    detail = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries/{delivery['id']}"))["delivery"]
    (attempt,) = detail["attempts"]
    assert "loopback" in attempt["error"] and attempt["address"] is None and attempt["statusCode"] is None
    assert detail["status"] == "pending"  # retried later, on the schedule


def test_redirects_are_not_followed(owner: Tenant, hooks: Services) -> None:
    with Receiver() as rx:
        rx.script([Reply(302, {"Location": "http://10.0.0.1/internal"}), Reply(307, {"Location": "http://127.0.0.1:9/"})])
        hook, _ = add_webhook(owner, rx.url)
        before = len(_network(hooks).connected)
        first = owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))["delivery"]
        second = owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))["delivery"]
        assert len(rx.requests) == 2
    assert first["status"] == "pending" and "redirects are not followed" in first["attempts"][0]["error"]
    assert first["attempts"][0]["statusCode"] == 302 and second["attempts"][0]["statusCode"] == 307
    assert _network(hooks).connected[before:] == [("127.0.0.1", rx.port)] * 2
