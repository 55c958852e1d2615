"""The API shapes of rules, alerts and record changes."""

from __future__ import annotations

from typing import Any

from sentinel.clock import isoformat
from sentinel.store.models import Alert, AlertRule, RecordChange

from .rules import RULE_TYPES


def rule_view(rule: AlertRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "organizationId": rule.organization_id,
        "name": rule.name,
        "type": rule.type,
        "alertType": RULE_TYPES[rule.type].alert_type,
        "enabled": rule.enabled,
        "severity": rule.severity,
        "domainIds": None if rule.domain_ids is None else list(rule.domain_ids),
        "params": dict(rule.params),
        "createdAt": isoformat(rule.created_at),
        "updatedAt": isoformat(rule.updated_at),
    }


def alert_view(alert: Alert, domain: str | None) -> dict[str, Any]:
    return {
        "id": alert.id,
        "organizationId": alert.organization_id,
        "ruleId": alert.rule_id,
        "domainId": alert.domain_id,
        "domain": domain,
        "type": alert.type,
        "severity": alert.severity,
        "subject": alert.subject,
        "status": alert.status,
        "message": alert.message,
        "details": alert.details,
        "triggeredAt": isoformat(alert.triggered_at),
        "lastSeenAt": isoformat(alert.last_seen_at),
        "acknowledgedAt": isoformat(alert.acknowledged_at),
        "acknowledgedBy": alert.acknowledged_by,
        "resolvedAt": isoformat(alert.resolved_at),
        "resolvedBy": alert.resolved_by,
        "resolution": alert.resolution,
    }


def change_view(change: RecordChange) -> dict[str, Any]:
    return {
        "id": f"chg_{change.id}",
        "domainId": change.domain_id,
        "scanId": change.scan_id,
        "previousScanId": change.previous_scan_id,
        "changedAt": isoformat(change.changed_at),
        "record": change.kind,
        "selector": change.selector or None,
        "change": change.change,
        "before": change.before,
        "after": change.after,
    }
