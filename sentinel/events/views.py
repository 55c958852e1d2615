"""The API shapes of endpoints, deliveries and attempts (never a secret)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sentinel.clock import isoformat
from sentinel.store.models import Webhook, WebhookAttempt, WebhookDelivery


def webhook_view(hook: Webhook) -> dict[str, Any]:
    return {
        "id": hook.id,
        "organizationId": hook.organization_id,
        "url": hook.url,
        "description": hook.description,
        "events": list(hook.events) if hook.events is not None else None,
        "enabled": hook.enabled,
        "disabledReason": hook.disabled_reason,
        "disabledAt": isoformat(hook.disabled_at),
        "createdAt": isoformat(hook.created_at),
        "updatedAt": isoformat(hook.updated_at),
        "secretRotatedAt": isoformat(hook.secret_rotated_at),
        "stats": {
            "lastAttemptAt": isoformat(hook.last_attempt_at),
            "lastSuccessAt": isoformat(hook.last_success_at),
            "lastFailureAt": isoformat(hook.last_failure_at),
            "consecutiveFailures": hook.consecutive_failures,
            "failingSince": isoformat(hook.failing_since),
        },
    }


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhookId": delivery.webhook_id,
        "eventId": delivery.event_id,
        "event": delivery.event_type,
        "status": delivery.status,
        "attemptCount": delivery.attempt_count,
        "nextAttemptAt": isoformat(delivery.next_attempt_at),
        "lastAttemptAt": isoformat(delivery.last_attempt_at),
        "lastStatusCode": delivery.last_status_code,
        "createdAt": isoformat(delivery.created_at),
        "completedAt": isoformat(delivery.completed_at),
    }


def attempt_view(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "attemptedAt": isoformat(attempt.attempted_at),
        "statusCode": attempt.status_code,
        "latencyMs": attempt.latency_ms,
        "error": attempt.error,
        "responseBody": attempt.response_body,
        "address": attempt.address,
    }


def delivery_detail(delivery: WebhookDelivery, attempts: Iterable[WebhookAttempt]) -> dict[str, Any]:
    return {**delivery_view(delivery), "payload": json.loads(delivery.payload),
            "attempts": [attempt_view(a) for a in attempts]}
