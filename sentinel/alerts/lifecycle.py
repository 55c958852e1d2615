"""The alert lifecycle: open → acknowledged → resolved, each step with its event.

Everything happens inside the caller's transaction, so an alert and its `alert.triggered`
or `alert.resolved` event commit together or not at all. Opening is an INSERT that the
partial unique index on unresolved (rule, domain, subject) turns into nothing when that
alert is already open, concurrent evaluations included; resolving is an UPDATE conditional
on the alert not being resolved yet, so only one resolver writes the event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sentinel.clock import Clock, IdGenerator, isoformat
from sentinel.events import record_event
from sentinel.store.models import Alert, AlertRule

from .rules import RULE_TYPES, Finding, Outcome

ALERTS: Table = Alert.__table__  # type: ignore[assignment]
OPEN_STATES = ("open", "acknowledged")
_UNRESOLVED = text("status != 'resolved'")


def event_data(alert: Alert | dict[str, Any]) -> dict[str, Any]:
    """The events' `data`: the seed's {alertId, domainId, type, message} plus ruleId, severity, details."""
    row = alert if isinstance(alert, dict) else {c.key: getattr(alert, c.key) for c in ALERTS.columns}
    return {
        "alertId": row["id"],
        "domainId": row["domain_id"],
        "type": row["type"],
        "message": row["message"],
        "ruleId": row["rule_id"],
        "severity": row["severity"],
        "subject": row["subject"],
        "details": row["details"],
    }


class AlertBook:
    """Opens, refreshes and resolves alerts for rule outcomes; records their events."""

    def __init__(self, ids: IdGenerator, clock: Clock) -> None:
        self.ids = ids
        self.clock = clock

    def unresolved(
        self, session: Session, domain_id: str, subjects: set[str] | None = None
    ) -> dict[tuple[str, str], Alert]:
        """The domain's open and acknowledged alerts by (rule, subject), only those `subjects` if given."""
        stmt = select(Alert).where(Alert.domain_id == domain_id, Alert.status.in_(OPEN_STATES))
        if subjects is not None:
            stmt = stmt.where(Alert.subject.in_(sorted(subjects)))
        return {(a.rule_id, a.subject): a for a in session.scalars(stmt)}

    def apply(
        self,
        session: Session,
        rule: AlertRule,
        domain_id: str,
        outcome: Outcome,
        unresolved: dict[tuple[str, str], Alert],
        now: datetime | None = None,
    ) -> int:
        """Open what fired (or refresh it when already open), resolve what cleared; how many changed."""
        now = now or self.clock.now()
        fresh: list[Finding] = []
        for finding in outcome.fire:
            existing = unresolved.get((rule.id, finding.subject))
            if existing is not None:
                existing.last_seen_at, existing.details, existing.message = now, finding.details, finding.message[:1000]
                continue
            fresh.append(finding)
        changed = self._open(session, rule, domain_id, fresh, now)
        for subject, reason in outcome.resolve.items():
            existing = unresolved.get((rule.id, subject))
            if existing is not None and self.resolve(session, existing, now, reason, None):
                changed += 1
        return changed

    def _open(self, session: Session, rule: AlertRule, domain_id: str, findings: list[Finding], now: datetime) -> int:
        """Insert an alert per finding in one statement (a report can raise hundreds of new_source
        alerts); each one inserted gets its alert.triggered event. Returns how many were inserted."""
        if not findings:
            return 0
        dialect = session.connection().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        rows = [
            {
                "id": self.ids.new("alt"),
                "organization_id": rule.organization_id,
                "rule_id": rule.id,
                "domain_id": domain_id,
                "type": RULE_TYPES[rule.type].alert_type,
                "severity": rule.severity,
                "subject": finding.subject[:255],
                "status": "open",
                "message": finding.message[:1000],
                "details": finding.details,
                "triggered_at": now,
                "last_seen_at": now,
            }
            for finding in findings
        ]
        stmt = (
            insert(ALERTS)
            .on_conflict_do_nothing(index_elements=["rule_id", "domain_id", "subject"], index_where=_UNRESOLVED)
            .returning(ALERTS.c.id)
        )
        # RETURNING rather than rowcount, which psycopg leaves at -1 for ON CONFLICT inserts; a
        # row not returned was opened meanwhile by a concurrent evaluation: deduplicated.
        inserted = set(session.execute(stmt, rows).scalars())
        opened = [row for row in rows if row["id"] in inserted]
        for row in opened:
            record_event(session, self.ids, self.clock, rule.organization_id, "alert.triggered", event_data(row))
        return len(opened)

    def resolve(self, session: Session, alert: Alert, now: datetime, reason: str, user_id: str | None) -> bool:
        """Resolve an unresolved alert; False when it was resolved already (by anyone)."""
        done = session.execute(
            update(ALERTS)
            .where(ALERTS.c.id == alert.id, ALERTS.c.status != "resolved")
            .values(status="resolved", resolved_at=now, resolved_by=user_id, resolution=reason[:1000])
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        session.refresh(alert)
        data = {**event_data(alert), "resolvedAt": isoformat(now), "resolution": alert.resolution,
                "resolvedBy": user_id}
        record_event(session, self.ids, self.clock, alert.organization_id, "alert.resolved", data)
        return True

    def acknowledge(self, session: Session, alert: Alert, now: datetime, user_id: str) -> bool:
        """Acknowledge an open alert; False when it is acknowledged or resolved already."""
        done = session.execute(
            update(ALERTS)
            .where(ALERTS.c.id == alert.id, ALERTS.c.status == "open")
            .values(status="acknowledged", acknowledged_at=now, acknowledged_by=user_id)
        )
        session.refresh(alert)
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]
