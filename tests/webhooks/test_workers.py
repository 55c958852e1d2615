"""Worker processes: one killed mid-delivery (SIGKILL) loses nothing, another finishes its
claims once their lease ran out; two workers deliver many events without sending any twice.

These use the real clock (the worker processes do), on services of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sentinel.accounts.principal import Principal
from sentinel.app import Services, build_services
from sentinel.events import record_event
from sentinel.store.models import WebhookDelivery
from tests.support.dns_server import LoopbackDnsServer
from tests.support.receiver import Receiver, Reply
from tests.webhooks.conftest import KEY, hook_settings

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 0.5
WORKER_DEFAULT_TIMEOUT = 15.0  # Settings.webhook_timeout's default


@pytest.fixture(scope="module")
def live_clock(hook_db_dir: Path, hook_dns: LoopbackDnsServer, hooks: Services) -> Iterator[Services]:
    svc = build_services(hook_settings(hook_db_dir, hook_dns, webhook_timeout=TIMEOUT), migrate=False)
    yield svc
    svc.db.dispose()


def _owner(services: Services) -> Principal:
    boot = services.organizations.bootstrap(f"workers-{time.monotonic_ns()}@example.com", "Workers", "enterprise")
    return services.tokens.authenticate(boot.token)


def _record(services: Services, org_id: str, count: int) -> None:
    with services.db.transaction() as session:
        for n in range(count):
            record_event(session, services.ids, services.clock, org_id, "report.received", {"n": n})


def _worker(services: Services, webhook_timeout: float = TIMEOUT) -> subprocess.Popen[bytes]:
    s = services.settings
    env = {
        **os.environ,
        "MAILSENTINEL_DATABASE_URL": s.database_url,
        "MAILSENTINEL_NAMESERVERS": ",".join(s.nameservers),
        "MAILSENTINEL_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8",
        "MAILSENTINEL_WEBHOOK_SECRET_KEYS": KEY,
        "MAILSENTINEL_WEBHOOK_TIMEOUT": str(webhook_timeout),
        "MAILSENTINEL_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "sentinel.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _statuses(services: Services, webhook_id: str) -> dict[str, int]:
    with services.db.reading() as c:
        rows = c.execute(select(WebhookDelivery.status, func.count()).where(WebhookDelivery.webhook_id == webhook_id)
                         .group_by(WebhookDelivery.status)).all()
    return {status: n for status, n in rows}


def test_a_killed_worker_loses_nothing(live_clock: Services) -> None:
    principal = _owner(live_clock)
    held = threading.Event()
    with Receiver() as rx:
        rx.script([Reply(200, hold=held)])
        hook = live_clock.webhooks.create(principal, principal.organization_id, {"url": rx.url})["webhook"]
        _record(live_clock, principal.organization_id, 5)
        first = _worker(live_clock)
        try:
            deadline = time.monotonic() + 60
            while not any(rx.in_flight.values()) and not rx.requests:
                assert time.monotonic() < deadline and first.poll() is None, "the worker sent nothing"
                time.sleep(0.01)
            first.send_signal(signal.SIGKILL)  # mid-delivery: one answer is still held back
            first.wait(10)
        finally:
            held.set()
            _stop(first)
        assert _statuses(live_clock, hook["id"]) == {"pending": 5}  # nothing recorded, nothing lost
        second = _worker(live_clock)
        try:
            deadline = time.monotonic() + 60
            while _statuses(live_clock, hook["id"]) != {"succeeded": 5}:
                assert time.monotonic() < deadline, _statuses(live_clock, hook["id"])
                assert second.poll() is None, "the second worker exited"
                time.sleep(0.1)
        finally:
            _stop(second)
    ids = {r.webhook_id for r in rx.requests}
    assert len(ids) == 5 and rx.concurrent_duplicates == []


def test_two_workers_send_each_delivery_once(live_clock: Services) -> None:
    count = 300
    principal = _owner(live_clock)
    with Receiver(default=Reply(200, delay=0.005)) as rx:
        hook = live_clock.webhooks.create(principal, principal.organization_id, {"url": rx.url})["webhook"]
        # The default attempt timeout, not TIMEOUT: a lease lasts as long as a batch of attempts
        # that all time out, and with 0.5 s ones (4.5 s) a worker starved of CPU on a loaded machine
        # outlived its lease while sending 128 quick ones, and the other worker sent them again.
        workers = [_worker(live_clock, WORKER_DEFAULT_TIMEOUT), _worker(live_clock, WORKER_DEFAULT_TIMEOUT)]
        try:
            _record(live_clock, principal.organization_id, count)
            # A hang guard, not a speed bound: a claim left by a lock timeout on a loaded machine
            # goes out again once its lease (77 s with 15 s attempts) ends, as at-least-once
            # delivery allows.
            rx.wait_for(count, timeout=240)
            deadline = time.monotonic() + 60
            while _statuses(live_clock, hook["id"]) != {"succeeded": count}:
                assert time.monotonic() < deadline, _statuses(live_clock, hook["id"])
                time.sleep(0.1)
        finally:
            for proc in workers:
                _stop(proc)
    assert rx.concurrent_duplicates == []
    assert len(rx.requests) == count and len({r.webhook_id for r in rx.requests}) == count
