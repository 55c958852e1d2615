"""Deliveries end to end: outbox → dispatcher → worker → a real loopback receiver that checks
every signature with the `standardwebhooks` library; retries on a controllable clock."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sentinel.app import Services, build_services
from sentinel.clock import ManualClock
from sentinel.events import record_event
from sentinel.events.schedule import SCHEDULE
from sentinel.store.models import Event, Webhook
from sentinel.worker import Worker
from tests.support.api import Tenant
from tests.support.dns_server import LoopbackDnsServer
from tests.support.receiver import Receiver, Reply
from tests.webhooks.conftest import add_webhook, hook_settings, upload_report

NEW_KEY = "hN1gN0ve0VbqIqmsZRWb0zvY0yXGjQ4kKXyVJyWq3nE="


def _step(clock: ManualClock, worker: Worker, attempt: int) -> None:
    """Move past the jittered delay before attempt number `attempt` (1-based) and run due work."""
    clock.advance(timedelta(seconds=SCHEDULE[attempt - 1] * 1.1 + 1))
    worker.drain()


def test_a_report_upload_reaches_the_receiver_signed(owner: Tenant, worker: Worker) -> None:
    with Receiver() as rx:
        hook, secret = add_webhook(owner, rx.url, events=["report.received"])
        rx.secrets.append(secret)
        assert secret.startswith("whsec_")
        upload_report(owner)
        worker.drain()
        (got,) = rx.wait_for(1)
    assert got.verified, got.headers
    payload = got.payload
    assert set(payload) == {"id", "event", "timestamp", "data"}
    assert payload["event"] == "report.received" and got.webhook_id == payload["id"]
    assert payload["data"]["domain"] == "example.com"
    assert got.headers["content-type"] == "application/json"
    listed = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries"))["deliveries"]
    assert [(d["event"], d["status"], d["attemptCount"]) for d in listed] == [("report.received", "succeeded", 1)]
    detail = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries/{listed[0]['id']}"))["delivery"]
    (attempt,) = detail["attempts"]
    assert attempt["statusCode"] == 200 and attempt["responseBody"] == "ok" and attempt["address"] == "127.0.0.1"
    assert detail["payload"] == payload
    stats = owner.data(owner.get(f"/api/webhooks/{hook['id']}"))["webhook"]["stats"]
    assert stats["lastSuccessAt"] and stats["consecutiveFailures"] == 0


def test_unsubscribed_events_and_other_organizations_are_not_delivered(
    owner: Tenant, other_owner: Tenant, worker: Worker
) -> None:
    with Receiver() as rx:
        add_webhook(owner, rx.url, events=["domain.verified"])
        upload_report(owner)
        upload_report(other_owner)
        worker.drain()
        assert rx.requests == []


def test_failures_are_retried_on_the_schedule_until_a_2xx(
    owner: Tenant, clock: ManualClock, worker: Worker
) -> None:
    with Receiver() as rx:
        hook, secret = add_webhook(owner, rx.url)
        rx.secrets.append(secret)
        rx.script([500, Reply(503, {"Retry-After": "1"}), 404, 200])
        upload_report(owner)
        worker.drain()
        assert len(rx.wait_for(1)) == 1
        # Not yet due: 5 s minus the largest jitter has not passed.
        clock.advance(timedelta(seconds=SCHEDULE[1] * 0.85))
        worker.drain()
        assert len(rx.requests) == 1
        for attempt in (2, 3, 4):
            _step(clock, worker, attempt)
            assert len(rx.wait_for(attempt)) == attempt
        _step(clock, worker, 5)
        assert len(rx.requests) == 4
    assert {r.webhook_id for r in rx.requests} == {rx.requests[0].webhook_id}
    assert all(r.verified for r in rx.requests)
    (delivery,) = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries"))["deliveries"]
    assert delivery["status"] == "succeeded" and delivery["attemptCount"] == 4
    detail = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries/{delivery['id']}"))["delivery"]
    assert [a["statusCode"] for a in detail["attempts"]] == [500, 503, 404, 200]
    assert detail["attempts"][0]["error"] == "answered 500"


def test_retry_after_on_429_delays_the_next_attempt(owner: Tenant, clock: ManualClock, worker: Worker) -> None:
    with Receiver() as rx:
        hook, _ = add_webhook(owner, rx.url)
        rx.script([Reply(429, {"Retry-After": "600"})])
        upload_report(owner)
        worker.drain()
        rx.wait_for(1)
        (delivery,) = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries"))["deliveries"]
        assert delivery["status"] == "pending"
        clock.advance(timedelta(seconds=SCHEDULE[1] * 1.1 + 1))  # the schedule alone would be due now
        worker.drain()
        assert len(rx.requests) == 1
        clock.advance(timedelta(seconds=600))
        worker.drain()
        assert len(rx.wait_for(2)) == 2


def test_a_delivery_fails_after_the_last_scheduled_attempt(
    owner: Tenant, clock: ManualClock, worker: Worker
) -> None:
    with Receiver(default=500) as rx:
        hook, _ = add_webhook(owner, rx.url)
        upload_report(owner)
        worker.drain()
        for attempt in range(2, len(SCHEDULE) + 1):
            _step(clock, worker, attempt)
        assert len(rx.wait_for(len(SCHEDULE))) == len(SCHEDULE)
        clock.advance(timedelta(days=1))
        worker.drain()
        assert len(rx.requests) == len(SCHEDULE)
    (delivery,) = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries?status=failed"))["deliveries"]
    assert delivery["attemptCount"] == len(SCHEDULE) and delivery["nextAttemptAt"] is None
    # Recovery queues it again with a fresh schedule.
    since = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries/{delivery['id']}"))["delivery"]["createdAt"]
    with Receiver() as rx2:
        owner.data(owner.patch(f"/api/webhooks/{hook['id']}", json={"url": rx2.url}))
        assert owner.data(owner.post(f"/api/webhooks/{hook['id']}/recover", json={"since": since}), 202) == {
            "recovered": 1}
        worker.drain()
        assert len(rx2.wait_for(1)) == 1


def test_410_disables_the_endpoint_at_once(owner: Tenant, worker: Worker) -> None:
    with Receiver(default=410) as rx:
        hook, _ = add_webhook(owner, rx.url)
        upload_report(owner)
        worker.drain()
        rx.wait_for(1)
        got = owner.data(owner.get(f"/api/webhooks/{hook['id']}"))["webhook"]
        assert got["enabled"] is False and "410" in got["disabledReason"]
        # Nothing more goes to it; redelivery needs it enabled again.
        owner.create_domain("example.net")
        worker.drain()
        assert len(rx.requests) == 1
        (delivery,) = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries"))["deliveries"]
        refused = owner.post(f"/api/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "CONFLICT"
        rx.default = Reply(200)
        owner.data(owner.patch(f"/api/webhooks/{hook['id']}", json={"enabled": True}))
        owner.data(owner.post(f"/api/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver"), 202)
        worker.drain()
        assert len(rx.wait_for(2)) == 2 and rx.requests[1].webhook_id == rx.requests[0].webhook_id


def test_an_endpoint_failing_for_days_is_disabled(
    owner: Tenant, hooks: Services, clock: ManualClock, worker: Worker
) -> None:
    with Receiver(default=500) as rx:
        hook, _ = add_webhook(owner, rx.url)
        upload_report(owner)
        worker.drain()
        rx.wait_for(1)
        clock.advance(timedelta(days=hooks.settings.webhook_disable_after_days, seconds=1))
        worker.drain()
    got = owner.data(owner.get(f"/api/webhooks/{hook['id']}"))["webhook"]
    assert got["enabled"] is False and "failed since" in got["disabledReason"]
    assert got["stats"]["consecutiveFailures"] >= 2


def test_test_sends_now_and_answers_with_the_outcome(owner: Tenant) -> None:
    with Receiver() as rx:
        hook, secret = add_webhook(owner, rx.url)
        rx.secrets.append(secret)
        delivery = owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))["delivery"]
        (got,) = rx.requests
    assert got.verified and got.payload["event"] == "webhook.test"
    assert delivery["status"] == "succeeded" and delivery["event"] == "webhook.test"
    assert delivery["attempts"][0]["statusCode"] == 200


def test_after_a_rotation_both_secrets_sign_for_24_hours(owner: Tenant, clock: ManualClock) -> None:
    with Receiver() as rx:
        hook, old = add_webhook(owner, rx.url)
        rotated = owner.data(owner.post(f"/api/webhooks/{hook['id']}/rotate-secret"))
        new = rotated["secret"]
        assert new != old and rotated["webhook"]["secretRotatedAt"]
        rx.secrets[:] = [old, new]
        owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))
        clock.advance(timedelta(hours=24, seconds=1))
        owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))
    during, after = rx.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert sorted(during.verified_with) == sorted([old, new])
    assert len(after.headers["webhook-signature"].split(" ")) == 1 and after.verified_with == [new]


def test_secrets_never_appear_in_lists_logs_events_or_the_database(
    owner: Tenant, hooks: Services, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Receiver(default=410) as rx:
        hook, secret = add_webhook(owner, rx.url)
        rotated = owner.data(owner.post(f"/api/webhooks/{hook['id']}/rotate-secret"))["secret"]
        upload_report(owner)
        worker.drain()
        rx.wait_for(1)
        shown = [
            owner.get(f"/api/organizations/{owner.org_id}/webhooks").text,
            owner.get(f"/api/webhooks/{hook['id']}").text,
            owner.get(f"/api/webhooks/{hook['id']}/deliveries").text,
        ]
    with hooks.db.transaction() as session:
        stored = session.get(Webhook, hook["id"])
        assert stored is not None
        columns = " ".join(str(v) for v in (stored.secret, stored.previous_secret))
        events = " ".join(str(e.data) for e in session.scalars(select(Event)))
    for text in (*shown, caplog.text, columns, events, rx.requests[0].body.decode()):
        for value in (secret, rotated, secret.removeprefix("whsec_"), rotated.removeprefix("whsec_")):
            assert value not in text


def test_a_secret_no_key_opens_holds_up_no_other_endpoint(
    owner: Tenant, other_owner: Tenant, hooks: Services, clock: ManualClock, worker: Worker,
    hook_db_dir: Path, hook_dns: LoopbackDnsServer,
) -> None:
    """A worker whose keys cannot decrypt one endpoint's secret still delivers to the others;
    the undecryptable one goes out once a worker with the right key gets it (its lease ended)."""
    rotated = build_services(hook_settings(hook_db_dir, hook_dns, webhook_secret_keys=(NEW_KEY,)), clock=clock,
                             migrate=False)
    try:
        with Receiver() as old_rx, Receiver() as new_rx:
            add_webhook(owner, old_rx.url)  # encrypted with the test key
            principal = rotated.tokens.authenticate(other_owner.token)
            rotated.webhooks.create(principal, other_owner.org_id, {"url": new_rx.url})
            with hooks.db.transaction() as session:
                for org in (owner.org_id, other_owner.org_id):
                    record_event(session, hooks.ids, clock, org, "report.received", {})
            Worker(rotated.jobs, clock).drain()
            assert len(new_rx.wait_for(1)) == 1 and old_rx.requests == []
            clock.advance(rotated.deliverer.lease + timedelta(seconds=1))
            worker.drain()
            assert len(old_rx.wait_for(1)) == 1
    finally:
        rotated.db.dispose()


def test_a_large_answer_is_read_up_to_64_kib_and_2_kib_kept(owner: Tenant) -> None:
    with Receiver(default=Reply(200, body=b"x" * 200_000)) as rx:
        hook, _ = add_webhook(owner, rx.url)
        delivery = owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))["delivery"]
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"][0]["responseBody"] == "x" * 2048


def test_an_answer_after_the_timeout_is_a_failure(owner: Tenant, hooks: Services) -> None:
    late = hooks.settings.webhook_timeout + 1
    with Receiver(default=Reply(200, delay=late)) as rx:
        hook, _ = add_webhook(owner, rx.url)
        delivery = owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))["delivery"]
    (attempt,) = delivery["attempts"]
    assert delivery["status"] == "pending" and attempt["statusCode"] is None
    assert f"within {hooks.settings.webhook_timeout:g} s" in attempt["error"]
