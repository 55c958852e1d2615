"""The delivery engine: the dispatcher turns outbox events into deliveries, the delivery job
claims due deliveries and sends them. Both are worker jobs (``sentinel.worker.Job``).

Claims: one UPDATE of due, unleased deliveries (``FOR UPDATE SKIP LOCKED`` in its subquery on
PostgreSQL, so concurrent workers take disjoint sets; SQLite serialises writers anyway) sets
the worker's claim and a lease. A worker killed mid-delivery leaves its claims to expire, and
another worker sends them again: at-least-once, receivers deduplicate on ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sentinel.aio import run_sync
from sentinel.clock import Clock, IdGenerator, SystemClock, isoformat, random_text
from sentinel.errors import ServiceUnavailable
from sentinel.events.outbox import event_payload
from sentinel.events.schedule import next_attempt
from sentinel.events.secrets import SecretBox
from sentinel.events.sender import AttemptResult, Sender
from sentinel.events.signing import signed_headers
from sentinel.store.db import Database
from sentinel.store.models import Event, Webhook, WebhookAttempt, WebhookDelivery

log = logging.getLogger("sentinel.events")

BATCH = 128
DISPATCH_BATCH = 500
# Attempts in flight to one endpoint from one worker.
PER_ENDPOINT = 32


def payload_text(payload: dict[str, Any]) -> str:
    """The body as sent: compact JSON, serialised once per delivery."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Claimed:
    delivery_id: str
    webhook_id: str
    url: str
    event_id: str
    body: str
    secrets: tuple[str, ...]


class Deliverer:
    """Claims, sends and records deliveries; shared by the delivery job and the test operation."""

    def __init__(self, db: Database, clock: Clock, box: SecretBox, sender: Sender, disable_after: timedelta,
                 *, signing_clock: Clock | None = None, rng: random.Random | None = None) -> None:
        self.db = db
        self.clock = clock
        self.box = box
        self.sender = sender
        self.disable_after = disable_after
        # Receivers compare webhook-timestamp with their own clock: it is the real time of
        # the attempt even when `clock` (which decides what is due) is the mock's.
        self.signing_clock = signing_clock or SystemClock()
        self.rng = rng or random.Random()
        self.worker_id = "wrk_" + random_text(16)
        # A lease outlasts the slowest batch (every attempt to one endpoint timing out, in
        # rounds of PER_ENDPOINT) plus recording it, so no live worker's claim ever expires.
        rounds = -(-BATCH // PER_ENDPOINT)
        self.lease = timedelta(seconds=(rounds + 1) * sender.timeout + 2)

    # -- claiming -------------------------------------------------------------------------

    def _due(self, now: datetime) -> Any:
        return (
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        )

    def claim(self, now: datetime, limit: int = BATCH) -> list[Claimed]:
        """Claim up to `limit` due deliveries for this worker (with a lease); returns what to send."""
        with self.db.reading() as connection:
            if connection.execute(select(WebhookDelivery.id).where(*self._due(now)).limit(1)).first() is None:
                return []
        with self.db.transaction() as session:
            due = (
                select(WebhookDelivery.id).where(*self._due(now)).order_by(WebhookDelivery.next_attempt_at)
                .limit(limit).with_for_update(skip_locked=True)
            )
            ids = session.scalars(
                update(WebhookDelivery).where(WebhookDelivery.id.in_(due.scalar_subquery()))
                .values(claimed_by=self.worker_id, lease_until=now + self.lease)
                .returning(WebhookDelivery.id).execution_options(synchronize_session=False)
            ).all()
            return self._load(session, list(ids), now)

    def _load(self, session: Session, ids: list[str], now: datetime) -> list[Claimed]:
        if not ids:
            return []
        rows = session.execute(
            select(WebhookDelivery, Webhook).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.id.in_(ids))
        ).all()
        claimed: list[Claimed] = []
        for delivery, hook in rows:
            if not hook.enabled:
                # Disabled after the delivery was queued: it fails unsent; recover sends it later.
                _finish(delivery, "failed", now)
                continue
            try:
                secrets_ = tuple(self.secrets_of(hook, now))
            except ServiceUnavailable as exc:
                # Left claimed: tried again when the lease ends, without holding up the others.
                log.warning("webhook %s: delivery %s not sent: %s", hook.id, delivery.id, exc.message)
                continue
            claimed.append(Claimed(delivery.id, hook.id, hook.url, delivery.event_id, delivery.payload, secrets_))
        return claimed

    def secrets_of(self, hook: Webhook, now: datetime) -> list[str]:
        """The secrets that sign now: the current one, and the previous during a rotation's overlap."""
        found = [self.box.decrypt(hook.secret)]
        if hook.previous_secret and hook.previous_secret_expires_at and hook.previous_secret_expires_at > now:
            found.append(self.box.decrypt(hook.previous_secret))
        return found

    # -- sending --------------------------------------------------------------------------

    def send(self, claimed: Sequence[Claimed], now: datetime) -> list[AttemptResult]:
        """Attempt every claimed delivery (concurrently, at most PER_ENDPOINT per endpoint) and
        record the outcomes."""
        if not claimed:
            return []
        results = run_sync(self._send_all(claimed, now))
        self.record(claimed, results, now)
        return results

    async def _send_all(self, claimed: Sequence[Claimed], now: datetime) -> list[AttemptResult]:
        gates: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_ENDPOINT))

        async def one(item: Claimed) -> AttemptResult:
            async with gates[item.webhook_id]:
                headers = signed_headers(item.event_id, item.body, item.secrets, self.signing_clock.now())
                return await self.sender.attempt(item.url, headers, item.body.encode("utf-8"), now)

        return list(await asyncio.gather(*(one(c) for c in claimed)))

    # -- recording ------------------------------------------------------------------------

    def record(self, claimed: Sequence[Claimed], results: Sequence[AttemptResult], now: datetime) -> None:
        """Store the attempts and each delivery's new state: two statements of many rows each
        (executemany), whatever the batch size, then the endpoints' stats."""
        with self.db.transaction() as session:
            d = WebhookDelivery
            current = {row.id: row for row in session.execute(
                select(d.id, d.attempt_count, d.schedule_step, d.claimed_by, d.lease_until)
                .where(d.id.in_([c.delivery_id for c in claimed])))}
            # Deliveries gone meanwhile (their endpoint was deleted) have nothing to record.
            done = [(c, r) for c, r in zip(claimed, results, strict=True) if c.delivery_id in current]
            if not done:
                return
            session.execute(insert(WebhookAttempt), [
                {"delivery_id": c.delivery_id, "attempted_at": now, "status_code": r.status_code,
                 "latency_ms": r.latency_ms, "error": r.error, "response_body": r.body, "address": r.address,
                 "succeeded": r.succeeded}
                for c, r in done
            ])
            changes: list[dict[str, Any]] = []
            outcome: dict[str, list[AttemptResult]] = defaultdict(list)
            for item, result in done:
                outcome[item.webhook_id].append(result)
                row = current[item.delivery_id]
                step = row.schedule_step + 1
                ours = row.claimed_by == self.worker_id
                retry = None if result.succeeded or result.gone else next_attempt(now, step, result.retry_after,
                                                                                  self.rng)
                finished = retry is None
                changes.append({
                    "id": row.id, "attempt_count": row.attempt_count + 1, "schedule_step": step,
                    "last_attempt_at": now, "last_status_code": result.status_code,
                    "status": "succeeded" if result.succeeded else "failed" if finished else "pending",
                    "next_attempt_at": retry, "completed_at": now if finished else None,
                    # A claim another worker took over after our lease ran out stays theirs.
                    "claimed_by": None if ours or finished else row.claimed_by,
                    "lease_until": None if ours or finished else row.lease_until,
                })
            session.execute(update(WebhookDelivery), changes)
            # Endpoints are locked in one order by every worker, so two never deadlock.
            for webhook_id in sorted(outcome):
                self._update_stats(session, webhook_id, outcome[webhook_id], now)

    def _update_stats(self, session: Session, webhook_id: str, results: list[AttemptResult], now: datetime) -> None:
        hook = session.get(Webhook, webhook_id, with_for_update=True)
        if hook is None:
            return
        hook.last_attempt_at = now
        if any(r.succeeded for r in results):
            hook.last_success_at = now
            hook.consecutive_failures = 0
            hook.failing_since = None
        failures = [r for r in results if not r.succeeded]
        if failures and not any(r.succeeded for r in results):
            hook.last_failure_at = now
            hook.consecutive_failures += len(failures)
            hook.failing_since = hook.failing_since or now
        if not hook.enabled:
            return
        if any(r.gone for r in results):
            disable(session, hook, now, f"The endpoint answered 410 Gone at {isoformat(now)}.")
        elif hook.failing_since is not None and now - hook.failing_since >= self.disable_after:
            days = self.disable_after.total_seconds() / 86400
            disable(session, hook, now, f"Every delivery attempt failed since {isoformat(hook.failing_since)} "
                                        f"({days:g} days).")


def _finish(delivery: WebhookDelivery, status: str, now: datetime) -> None:
    delivery.status = status
    delivery.next_attempt_at = None
    delivery.completed_at = now
    delivery.claimed_by = None
    delivery.lease_until = None


def disable(session: Session, hook: Webhook, now: datetime, reason: str) -> None:
    """Disable an endpoint; its pending deliveries fail unsent (recover sends them again)."""
    hook.enabled = False
    hook.disabled_reason = reason
    hook.disabled_at = now
    hook.updated_at = now
    session.execute(
        update(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id, WebhookDelivery.status == "pending")
        .values(status="failed", next_attempt_at=None, completed_at=now)
    )
    log.warning("webhook %s disabled: %s", hook.id, reason)


class DeliveryJob:
    """Worker job: claim due deliveries, send them, record the attempts."""

    name = "webhook_deliveries"

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer

    def run_once(self, now: datetime) -> int:
        claimed = self.deliverer.claim(now)
        self.deliverer.send(claimed, now)
        return len(claimed)


class DispatchJob:
    """Worker job: turn undispatched outbox events into one delivery per subscribed endpoint.

    An endpoint gets the events recorded since its creation only.
    """

    name = "webhook_dispatch"

    def __init__(self, db: Database, ids: IdGenerator, limit: int = DISPATCH_BATCH) -> None:
        self.db = db
        self.ids = ids
        self.limit = limit

    def run_once(self, now: datetime) -> int:
        undispatched = Event.delivered_at.is_(None)
        with self.db.reading() as connection:
            if connection.execute(select(Event.id).where(undispatched).limit(1)).first() is None:
                return 0
        with self.db.transaction() as session:
            events = session.scalars(
                select(Event).where(undispatched).order_by(Event.created_at).limit(self.limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not events:
                return 0
            hooks: dict[str, list[Webhook]] = defaultdict(list)
            for hook in session.scalars(select(Webhook).where(
                    Webhook.organization_id.in_({e.organization_id for e in events}), Webhook.enabled.is_(True))):
                hooks[hook.organization_id].append(hook)
            rows = [
                new_delivery(self.ids, hook, event.id, event.type, payload_text(event_payload(event)), now)
                for event in events
                for hook in hooks.get(event.organization_id, ())
                if hook.created_at <= event.created_at and (hook.events is None or event.type in hook.events)
            ]
            if rows:
                # Workers racing on SQLite (no SKIP LOCKED there) may dispatch one event twice:
                # the unique (endpoint, event) pair keeps one delivery, the other insert is a no-op.
                dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
                session.execute(
                    dialect.insert(WebhookDelivery).on_conflict_do_nothing(index_elements=["webhook_id", "event_id"]),
                    rows,
                )
            session.execute(update(Event).where(Event.id.in_([e.id for e in events])).values(delivered_at=now))
            return len(events)


def new_delivery(ids: IdGenerator, hook: Webhook, event_id: str, event_type: str, body: str, now: datetime,
                 **extra: Any) -> dict[str, Any]:
    """The row of a new pending delivery, due at once."""
    return {
        "id": ids.new("dlv"), "webhook_id": hook.id, "organization_id": hook.organization_id,
        "event_id": event_id, "event_type": event_type, "payload": body, "status": "pending",
        "attempt_count": 0, "schedule_step": 0, "next_attempt_at": now, "claimed_by": None,
        "lease_until": None, "created_at": now, **extra,
    }

