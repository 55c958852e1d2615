"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sentinel.clock import parse_instant
from sentinel.errors import ValidationError
from sentinel.web.api import accepted, cached, caller, created, ok, pages, services


def list_webhooks(org_id: str, page: int = 1, limit: int = 50) -> Response:
    return cached(services().webhooks.list(caller(), org_id, pages(page, limit)))


def create_webhook(org_id: str, body: dict[str, Any]) -> Response:
    return created(services().webhooks.create(caller(), org_id, body))


def get_webhook(webhook_id: str) -> Response:
    return cached(services().webhooks.get(caller(), webhook_id))


def update_webhook(webhook_id: str, body: dict[str, Any]) -> Response:
    return ok(services().webhooks.update(caller(), webhook_id, body))


def delete_webhook(webhook_id: str) -> Response:
    return ok(services().webhooks.delete(caller(), webhook_id))


def test_webhook(webhook_id: str) -> Response:
    return ok(services().webhooks.test(caller(), webhook_id))


def recover_webhook(webhook_id: str, body: dict[str, Any]) -> Response:
    try:
        since = parse_instant(str(body["since"]))
    except ValueError as exc:
        raise ValidationError.field("since", f"'since' must be an RFC 3339 date-time: {exc}.") from None
    return accepted(services().webhooks.recover(caller(), webhook_id, since))


def rotate_webhook_secret(webhook_id: str) -> Response:
    return ok(services().webhooks.rotate_secret(caller(), webhook_id))


def list_webhook_deliveries(
    webhook_id: str, page: int = 1, limit: int = 50, status: str | None = None, event: str | None = None
) -> Response:
    return cached(services().webhooks.list_deliveries(caller(), webhook_id, pages(page, limit), status, event))


def get_webhook_delivery(webhook_id: str, delivery_id: str) -> Response:
    return cached(services().webhooks.get_delivery(caller(), webhook_id, delivery_id))


def redeliver_webhook_delivery(webhook_id: str, delivery_id: str) -> Response:
    return accepted(services().webhooks.redeliver(caller(), webhook_id, delivery_id))
