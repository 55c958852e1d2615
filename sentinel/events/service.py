"""The webhooks API: endpoints, their secrets, deliveries, test sends, redelivery, recovery.

Admins manage endpoints; viewers and members read them; another organization's endpoints
answer NOT_FOUND. A secret is shown once (at creation and rotation) and stored encrypted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from sentinel.accounts.principal import MANAGE, READ, Principal
from sentinel.aio import run_sync
from sentinel.clock import Clock, IdGenerator, isoformat
from sentinel.errors import Conflict, NotFound, ValidationError
from sentinel.events.delivery import Claimed, Deliverer, disable, new_delivery, payload_text
from sentinel.events.outbox import EVENT_TYPES, TEST_EVENT
from sentinel.events.secrets import SecretBox
from sentinel.events.signing import is_secret, new_secret
from sentinel.events.targets import Targets, clean_url, refusal
from sentinel.events.views import delivery_detail, delivery_view, webhook_view
from sentinel.net.pinned import OutboundError
from sentinel.pagination import PageRequest, page_meta
from sentinel.store.db import Database
from sentinel.store.models import Webhook, WebhookAttempt, WebhookDelivery

ROTATION_OVERLAP = timedelta(hours=24)
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


def clean_events(events: list[str] | None) -> list[str] | None:
    """Subscribed event types, de-duplicated in the canonical order; None for all."""
    if events is None:
        return None
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ValidationError.field("events", f"Unknown event type {unknown[0][:60]!r}: use {', '.join(EVENT_TYPES)}.")
    if not events:
        raise ValidationError.field("events", "Name at least one event type, or leave events out (null) for all.")
    return [e for e in EVENT_TYPES if e in events]


def _description(text: str | None) -> str | None:
    return text.strip() or None if text else None


class WebhookService:
    def __init__(self, db: Database, clock: Clock, ids: IdGenerator, box: SecretBox, targets: Targets,
                 deliverer: Deliverer) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        self.box = box
        self.targets = targets
        self.deliverer = deliverer

    # -- endpoints ------------------------------------------------------------------------

    def check_url(self, url: str) -> str:
        """The URL as stored. Raises ValidationError saying why it cannot be delivered to."""
        cleaned = clean_url(url)
        try:
            run_sync(self.targets.vet(cleaned))
        except OutboundError as exc:
            raise refusal(exc) from None
        return cleaned

    def _load(self, session: Session, principal: Principal, webhook_id: str, *, lock: bool = False) -> Webhook:
        hook = session.get(Webhook, webhook_id, with_for_update=lock)
        if hook is None or hook.organization_id not in principal.roles:
            raise NotFound(f"Webhook '{webhook_id}' was not found.")
        return hook

    def _manage(self, session: Session, principal: Principal, webhook_id: str, action: str) -> Webhook:
        principal.require_write()
        hook = self._load(session, principal, webhook_id, lock=True)
        principal.require_role(hook.organization_id, MANAGE, action)
        return hook

    def list(self, principal: Principal, org_id: str, page: PageRequest) -> dict[str, Any]:
        principal.require_role(org_id, READ, "list webhooks")
        with self.db.transaction() as session:
            where = Webhook.organization_id == org_id
            total = session.scalar(select(func.count()).select_from(Webhook).where(where)) or 0
            hooks = session.scalars(select(Webhook).where(where).order_by(Webhook.created_at, Webhook.id)
                                    .limit(page.limit).offset(page.offset)).all()
            return {"webhooks": [webhook_view(h) for h in hooks], "pagination": page_meta(page, total)}

    def create(self, principal: Principal, org_id: str, body: dict[str, Any], *, secret: str | None = None
               ) -> dict[str, Any]:
        """Add an endpoint; `secret` (seeds only) replaces the generated one.

        Raises ValidationError (the URL, events), Forbidden, NotFound, ServiceUnavailable (no key)."""
        principal.require_write()
        principal.require_role(org_id, MANAGE, "add webhooks")
        url = self.check_url(str(body.get("url", "")))
        events = clean_events(body.get("events"))
        if secret is not None and not is_secret(secret):
            raise ValidationError.field("secret", "A webhook secret is whsec_ followed by base64 of 24 to 64 bytes.")
        secret = secret or new_secret()
        now = self.clock.now()
        enabled = bool(body.get("enabled", True))
        hook = Webhook(
            id=self.ids.new("whk"), organization_id=org_id, url=url, description=_description(body.get("description")),
            events=events, enabled=enabled, disabled_reason=None if enabled else "Disabled when created.",
            disabled_at=None if enabled else now, secret=self.box.encrypt(secret), created_at=now, updated_at=now,
            consecutive_failures=0,
        )
        with self.db.transaction() as session:
            session.add(hook)
        return {"webhook": webhook_view(hook), "secret": secret}

    def get(self, principal: Principal, webhook_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            return {"webhook": webhook_view(self._load(session, principal, webhook_id))}

    def update(self, principal: Principal, webhook_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        url = self.check_url(str(changes["url"])) if "url" in changes else None
        events = clean_events(changes["events"]) if "events" in changes else None
        with self.db.transaction() as session:
            hook = self._manage(session, principal, webhook_id, "change webhooks")
            now = self.clock.now()
            if url is not None:
                hook.url = url
            if "description" in changes:
                hook.description = _description(changes["description"])
            if "events" in changes:
                hook.events = events
            if changes.get("enabled") is True and not hook.enabled:
                hook.enabled = True
                hook.disabled_reason = hook.disabled_at = hook.failing_since = None
                hook.consecutive_failures = 0
            elif changes.get("enabled") is False and hook.enabled:
                disable(session, hook, now, f"Disabled through the API at {isoformat(now)}.")
            hook.updated_at = now
            return {"webhook": webhook_view(hook)}

    def delete(self, principal: Principal, webhook_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            session.delete(self._manage(session, principal, webhook_id, "delete webhooks"))
        return {"id": webhook_id, "deleted": True}

    def rotate_secret(self, principal: Principal, webhook_id: str) -> dict[str, Any]:
        """A new secret; the current one keeps signing beside it for ROTATION_OVERLAP."""
        secret = new_secret()
        with self.db.transaction() as session:
            hook = self._manage(session, principal, webhook_id, "rotate webhook secrets")
            now = self.clock.now()
            hook.previous_secret = self.box.encrypt(self.box.decrypt(hook.secret))
            hook.previous_secret_expires_at = now + ROTATION_OVERLAP
            hook.secret = self.box.encrypt(secret)
            hook.secret_rotated_at = hook.updated_at = now
            return {"webhook": webhook_view(hook), "secret": secret,
                    "previousSecretExpiresAt": isoformat(hook.previous_secret_expires_at)}

    # -- deliveries -----------------------------------------------------------------------

    def test(self, principal: Principal, webhook_id: str) -> dict[str, Any]:
        """Send a webhook.test event now (one attempt before answering; retried if it fails)."""
        now = self.clock.now()
        with self.db.transaction() as session:
            hook = self._manage(session, principal, webhook_id, "test webhooks")
            event_id = self.ids.new("evt")
            body = payload_text({"id": event_id, "event": TEST_EVENT, "timestamp": isoformat(now),
                                 "data": {"webhookId": hook.id, "message": "A test event sent from MailSentinel."}})
            row = new_delivery(self.ids, hook, event_id, TEST_EVENT, body, now, claimed_by=self.deliverer.worker_id,
                               lease_until=now + self.deliverer.lease)
            session.execute(insert(WebhookDelivery), [row])
            claimed = Claimed(row["id"], hook.id, hook.url, event_id, body,
                              tuple(self.deliverer.secrets_of(hook, now)))
        self.deliverer.send([claimed], now)
        return self.get_delivery(principal, webhook_id, claimed.delivery_id)

    def list_deliveries(self, principal: Principal, webhook_id: str, page: PageRequest, status: str | None = None,
                        event: str | None = None) -> dict[str, Any]:
        if status is not None and status not in DELIVERY_STATUSES:
            raise ValidationError.field("status", f"status must be one of {', '.join(DELIVERY_STATUSES)}.")
        with self.db.transaction() as session:
            self._load(session, principal, webhook_id)
            stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
            if status:
                stmt = stmt.where(WebhookDelivery.status == status)
            if event:
                stmt = stmt.where(WebhookDelivery.event_type == event)
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = session.scalars(stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                                   .limit(page.limit).offset(page.offset)).all()
            return {"deliveries": [delivery_view(d) for d in rows], "pagination": page_meta(page, total)}

    def _delivery(self, session: Session, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.webhook_id != webhook_id:
            raise NotFound(f"Delivery '{delivery_id}' was not found.")
        return delivery

    def _detail(self, session: Session, delivery: WebhookDelivery) -> dict[str, Any]:
        attempts = session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
                                   .order_by(WebhookAttempt.id)).all()
        return {"delivery": delivery_detail(delivery, attempts)}

    def get_delivery(self, principal: Principal, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            self._load(session, principal, webhook_id)
            return self._detail(session, self._delivery(session, webhook_id, delivery_id))

    def _requeue_values(self, now: datetime) -> dict[str, Any]:
        return {"status": "pending", "schedule_step": 0, "next_attempt_at": now, "completed_at": None}

    def redeliver(self, principal: Principal, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        """Queue a delivery again now, with a fresh schedule. Raises Conflict for a disabled endpoint."""
        with self.db.transaction() as session:
            hook = self._manage(session, principal, webhook_id, "redeliver webhooks")
            if not hook.enabled:
                raise Conflict("The endpoint is disabled: enable it (PATCH enabled: true) before redelivering.")
            delivery = self._delivery(session, webhook_id, delivery_id)
            for key, value in self._requeue_values(self.clock.now()).items():
                setattr(delivery, key, value)
            return self._detail(session, delivery)

    def recover(self, principal: Principal, webhook_id: str, since: datetime) -> dict[str, Any]:
        """Queue again every failed delivery created since `since`. Raises Conflict for a disabled endpoint."""
        with self.db.transaction() as session:
            hook = self._manage(session, principal, webhook_id, "recover webhooks")
            if not hook.enabled:
                raise Conflict("The endpoint is disabled: enable it (PATCH enabled: true) before recovering.")
            result = session.execute(
                update(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id,
                                              WebhookDelivery.status == "failed", WebhookDelivery.created_at >= since)
                .values(**self._requeue_values(self.clock.now())).execution_options(synchronize_session=False)
            )
            return {"recovered": int(getattr(result, "rowcount", 0) or 0)}
