"""Webhook verification (Standard Webhooks v1) against signatures made by the standardwebhooks
reference library, and against deliveries `mailsentinel mock` really sends to a loopback receiver."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time

import pytest
from sdk_testing import FIXTURES, OWNER_TOKEN, Receiver, run_due_jobs
from standardwebhooks.webhooks import Webhook

import mailsentinel
from mailsentinel import MailSentinel, WebhookVerificationError

SECRET = "whsec_" + base64.b64encode(b"a 32 byte secret for the tests!!").decode()
OTHER = "whsec_" + base64.b64encode(b"another secret, rotated in later").decode()
EVENT = {"id": "evt_1", "event": "domain.verified", "timestamp": "2026-01-15T10:00:00Z", "data": {"domainId": "dom_1"}}


def delivery(secret: str = SECRET, *, at: float | None = None, msg_id: str = "msg_1") -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(EVENT)
    when = dt.datetime.fromtimestamp(time.time() if at is None else at, tz=dt.timezone.utc)
    signature = Webhook(secret).sign(msg_id, when, payload)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())), "webhook-signature": signature}
    return payload.encode(), headers


def test_a_library_signed_delivery_verifies() -> None:
    payload, headers = delivery()
    assert mailsentinel.webhooks.verify(payload, headers, SECRET) == EVENT
    assert mailsentinel.webhooks.verify(payload.decode(), {k.title(): v for k, v in headers.items()}, SECRET) == EVENT
    # Our signer agrees with the library, byte for byte.
    assert mailsentinel.webhooks.sign(payload, SECRET, msg_id="msg_1", timestamp=int(headers["webhook-timestamp"])) \
        == headers["webhook-signature"]
    assert Webhook(SECRET).verify(payload.decode(), headers) == EVENT


def test_several_signatures_and_secrets() -> None:
    payload, headers = delivery(OTHER)
    _, old = delivery(SECRET)
    both = {**headers, "webhook-signature": f"v1,{base64.b64encode(b'x' * 32).decode()} {headers['webhook-signature']}"}
    assert mailsentinel.webhooks.verify(payload, both, OTHER) == EVENT
    assert mailsentinel.webhooks.verify(payload, headers, [SECRET, OTHER]) == EVENT  # while rotating
    with pytest.raises(WebhookVerificationError, match="No webhook signature matches"):
        mailsentinel.webhooks.verify(payload, headers, SECRET)
    assert old["webhook-signature"] != headers["webhook-signature"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p, h: (p.replace(b"dom_1", b"dom_2"), h), "No webhook signature matches"),
        (lambda p, h: (p, {**h, "webhook-id": "msg_2"}), "No webhook signature matches"),
        (lambda p, h: (p, {**h, "webhook-signature": h["webhook-signature"].replace("v1,", "v2,")}), "matches"),
        (lambda p, h: (p, {k: v for k, v in h.items() if k != "webhook-id"}), "Missing"),
        (lambda p, h: (p, {**h, "webhook-timestamp": "soon"}), "Unix seconds"),
    ],
)
def test_tampering_is_refused(change, message: str) -> None:  # type: ignore[no-untyped-def]
    payload, headers = change(*delivery())
    with pytest.raises(WebhookVerificationError, match=message):
        mailsentinel.webhooks.verify(payload, headers, SECRET)


def test_the_tolerance_is_five_minutes_either_way() -> None:
    now = time.time()
    payload, fresh = delivery(at=now - 290)
    assert mailsentinel.webhooks.verify(payload, fresh, SECRET, now=now) == EVENT
    payload, stale = delivery(at=now - 310)
    with pytest.raises(WebhookVerificationError, match="too old"):
        mailsentinel.webhooks.verify(payload, stale, SECRET, now=now)
    payload, future = delivery(at=now + 310)
    with pytest.raises(WebhookVerificationError, match="future"):
        mailsentinel.webhooks.verify(payload, future, SECRET, now=now)
    assert mailsentinel.webhooks.verify(payload, future, SECRET, now=now, tolerance=400) == EVENT


def test_client_webhooks_verify_uses_the_clients_secret() -> None:
    payload, headers = delivery()
    with MailSentinel(api_key=OWNER_TOKEN, base_url="http://127.0.0.1:9", webhook_secret=SECRET) as client:
        assert client.webhooks.verify(payload, headers) == EVENT
        assert client.with_options(webhook_secret=OTHER).webhooks.verify(payload, headers, SECRET) == EVENT
        with pytest.raises(WebhookVerificationError):
            client.with_options(webhook_secret=OTHER).webhooks.verify(payload, headers)
    bare = MailSentinel(api_key=OWNER_TOKEN, base_url="http://127.0.0.1:9")
    with bare, pytest.raises(WebhookVerificationError, match="No webhook secret"):
        bare.webhooks.verify(payload, headers)
    with pytest.raises(WebhookVerificationError, match="not a base64"):
        mailsentinel.webhooks.verify(payload, headers, "whsec_%%%")


def test_deliveries_the_mock_sends_verify(client: MailSentinel, org_id: str, mock_url: str,
                                          receiver: Receiver) -> None:
    created = client.webhooks.create(org_id, url=receiver.url, events=["report.received"])
    secret = created["secret"]
    # A real event: the upload records report.received, which the mock turns into a signed POST.
    uploaded = client.reports.upload(org_id, FIXTURES / "nice-input.xml.gz")
    run_due_jobs(mock_url)
    body, headers = receiver.wait_for("report.received")[0]
    event = mailsentinel.webhooks.verify(body, headers, secret)
    assert event["event"] == "report.received" and event["data"]["reportId"] == uploaded["report"]["id"]
    assert event["id"] == headers["webhook-id"] and headers["content-type"] == "application/json"
    assert client.with_options(webhook_secret=secret).webhooks.verify(body, headers) == event
    assert Webhook(secret).verify(body.decode(), headers) == event  # the reference library agrees
    # Only report.received was subscribed: the scan's events reached nobody.
    client.domains.scan(uploaded["report"]["domainId"])
    run_due_jobs(mock_url)
    assert {json.loads(b)["event"] for b, _ in receiver.deliveries} == {"report.received"}

    tampered = body.replace(uploaded["report"]["id"].encode(), b"rpt_0000000000000000000999")
    assert tampered != body
    with pytest.raises(WebhookVerificationError, match="No webhook signature matches"):
        mailsentinel.webhooks.verify(tampered, headers, secret)
    with pytest.raises(WebhookVerificationError):
        mailsentinel.webhooks.verify(body, headers, SECRET)  # another endpoint's secret
    with pytest.raises(WebhookVerificationError, match="too old"):  # the same delivery replayed 10 min later
        mailsentinel.webhooks.verify(body, headers, secret, now=int(headers["webhook-timestamp"]) + 600)


def test_the_test_event_verifies(client: MailSentinel, org_id: str, receiver: Receiver) -> None:
    created = client.webhooks.create(org_id, url=receiver.url)
    outcome = client.webhooks.test(created["webhook"]["id"])
    body, headers = receiver.wait_for("webhook.test")[0]
    event = mailsentinel.webhooks.verify(body, headers, created["secret"])
    assert event == outcome["payload"] and event["data"]["webhookId"] == created["webhook"]["id"]
    with pytest.raises(WebhookVerificationError, match="No webhook signature matches"):
        mailsentinel.webhooks.verify(body + b" ", headers, created["secret"])
