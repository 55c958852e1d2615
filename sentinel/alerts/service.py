"""Alert rules, alerts and record changes for API callers.

Roles: viewers read rules, alerts and changes; members (who scan and upload) acknowledge and
resolve alerts; admins (who manage domains) create, change and delete rules. Another
organization's rule, alert or domain is NOT_FOUND, exactly as if it did not exist.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sentinel.accounts.organizations import clean_name
from sentinel.accounts.principal import MANAGE, OPERATE, READ, Principal
from sentinel.clock import Clock, IdGenerator
from sentinel.domains.service import DomainService
from sentinel.errors import Conflict, NotFound, ValidationError
from sentinel.pagination import PageRequest, page_meta, paginate
from sentinel.store.db import Database
from sentinel.store.models import Alert, AlertRule, Domain, RecordChange

from .lifecycle import AlertBook
from .rules import RECORD_KINDS, RULE_TYPES, SEVERITIES, clean_params
from .views import alert_view, change_view, rule_view

ALERT_STATUSES = ("open", "acknowledged", "resolved")
MAX_RULES = 100


class AlertService:
    def __init__(self, db: Database, clock: Clock, ids: IdGenerator, domains: DomainService) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        self.domains = domains
        self.book = AlertBook(ids, clock)

    # -- rules ------------------------------------------------------------------------------

    def _rule(self, session: Session, principal: Principal, rule_id: str) -> AlertRule:
        rule = session.get(AlertRule, rule_id)
        if rule is None or rule.organization_id not in principal.roles:
            raise NotFound(f"Alert rule '{rule_id}' was not found.")
        return rule

    def _domain_ids(self, session: Session, org_id: str, raw: Any) -> list[str] | None:
        """The rule's domains (None: all of the organization's). Raises ValidationError for
        a domain the organization does not monitor."""
        if raw is None:
            return None
        wanted = list(dict.fromkeys(raw))
        known = set(session.scalars(select(Domain.id).where(Domain.organization_id == org_id, Domain.id.in_(wanted))))
        missing = [d for d in wanted if d not in known]
        if missing:
            raise ValidationError.field("domainIds", f"This organization monitors no domain '{missing[0]}'.")
        return wanted

    @staticmethod
    def _severity(value: Any) -> str:
        if value not in SEVERITIES:
            raise ValidationError.field("severity", f"severity must be one of {', '.join(SEVERITIES)}.")
        return str(value)

    def list_rules(self, principal: Principal, org_id: str, page: PageRequest) -> dict[str, Any]:
        principal.require_role(org_id, READ, "list alert rules")
        stmt = select(AlertRule).where(AlertRule.organization_id == org_id).order_by(AlertRule.created_at, AlertRule.id)
        with self.db.transaction() as session:
            rows, total = paginate(session, stmt, page)
            return {"rules": [rule_view(r[0]) for r in rows], "pagination": page_meta(page, total)}

    def create_rule(self, principal: Principal, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Raises NotFound, Forbidden, ValidationError (type, params, severity, domains), Conflict (too many)."""
        principal.require_write()
        principal.require_role(org_id, MANAGE, "create alert rules")
        rule_type = body.get("type")
        if rule_type not in RULE_TYPES:
            raise ValidationError.field("type", f"type must be one of {', '.join(RULE_TYPES)}.")
        name = clean_name(str(body.get("name") or ""), "name")
        params = clean_params(rule_type, body.get("params"))
        severity = self._severity(body.get("severity", RULE_TYPES[rule_type].severity))
        now = self.clock.now()
        with self.db.transaction() as session:
            count = len(session.scalars(select(AlertRule.id).where(AlertRule.organization_id == org_id)).all())
            if count >= MAX_RULES:
                raise Conflict(f"An organization has at most {MAX_RULES} alert rules; delete one first.")
            rule = AlertRule(
                id=self.ids.new("arl"),
                organization_id=org_id,
                name=name,
                type=rule_type,
                enabled=bool(body.get("enabled", True)),
                severity=severity,
                domain_ids=self._domain_ids(session, org_id, body.get("domainIds")),
                params=params,
                created_at=now,
                updated_at=now,
            )
            session.add(rule)
            return {"rule": rule_view(rule)}

    def get_rule(self, principal: Principal, rule_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            return {"rule": rule_view(self._rule(session, principal, rule_id))}

    def update_rule(self, principal: Principal, rule_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Raises NotFound, Forbidden, ValidationError. The type cannot change."""
        principal.require_write()
        with self.db.transaction() as session:
            rule = self._rule(session, principal, rule_id)
            principal.require_role(rule.organization_id, MANAGE, "change alert rules")
            if "name" in changes:
                rule.name = clean_name(str(changes["name"] or ""), "name")
            if "enabled" in changes:
                rule.enabled = bool(changes["enabled"])
            if "severity" in changes:
                rule.severity = self._severity(changes["severity"])
            if "domainIds" in changes:
                rule.domain_ids = self._domain_ids(session, rule.organization_id, changes["domainIds"])
            if "params" in changes:
                rule.params = clean_params(rule.type, changes["params"] or {}, rule.params)
            rule.updated_at = self.clock.now()
            return {"rule": rule_view(rule)}

    def delete_rule(self, principal: Principal, rule_id: str) -> dict[str, Any]:
        """Delete a rule; its unresolved alerts resolve (with their events). Raises NotFound, Forbidden."""
        principal.require_write()
        with self.db.transaction() as session:
            rule = self._rule(session, principal, rule_id)
            principal.require_role(rule.organization_id, MANAGE, "delete alert rules")
            now = self.clock.now()
            for alert in session.scalars(select(Alert).where(Alert.rule_id == rule.id, Alert.status != "resolved")):
                self.book.resolve(session, alert, now, f"The rule '{rule.name}' was deleted.", principal.user_id)
            session.delete(rule)
        return {"id": rule_id, "deleted": True}

    # -- alerts -----------------------------------------------------------------------------

    def _alert(self, session: Session, principal: Principal, alert_id: str) -> tuple[Alert, str]:
        row = session.execute(
            select(Alert, Domain.name).join(Domain, Domain.id == Alert.domain_id).where(Alert.id == alert_id)
        ).first()
        if row is None or row[0].organization_id not in principal.roles:
            raise NotFound(f"Alert '{alert_id}' was not found.")
        return row[0], row[1]

    def list_alerts(
        self,
        principal: Principal,
        org_id: str,
        page: PageRequest,
        *,
        status: str | None = None,
        domain_id: str | None = None,
        alert_type: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, Any]:
        """Newest first; `from`/`to` are the UTC days the alerts were triggered on. Raises NotFound."""
        principal.require_role(org_id, READ, "list alerts")
        with self.db.transaction() as session:
            if domain_id is not None:
                domain = self.domains.load(session, principal, domain_id)
                if domain.organization_id != org_id:
                    raise NotFound(f"Domain '{domain_id}' was not found.")
        return self.operator_alerts(
            org_id, page, status=status, domain_id=domain_id, alert_type=alert_type, start=start, end=end
        )

    def operator_alerts(
        self,
        org_id: str,
        page: PageRequest,
        *,
        status: str | None = None,
        domain_id: str | None = None,
        alert_type: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, Any]:
        """The organization's alerts with no caller to check (the CLI's operator). Raises ValidationError."""
        stmt: Select[Alert, str] = (
            select(Alert, Domain.name).join(Domain, Domain.id == Alert.domain_id).where(Alert.organization_id == org_id)
        )
        if status is not None:
            if status not in ALERT_STATUSES:
                raise ValidationError.field("status", f"status must be one of {', '.join(ALERT_STATUSES)}.")
            stmt = stmt.where(Alert.status == status)
        if alert_type is not None:
            stmt = stmt.where(Alert.type == alert_type)
        if domain_id is not None:
            stmt = stmt.where(Alert.domain_id == domain_id)
        if start is not None:
            stmt = stmt.where(Alert.triggered_at >= datetime.combine(start, time(), UTC))
        if end is not None:
            stmt = stmt.where(Alert.triggered_at < datetime.combine(end + timedelta(days=1), time(), UTC))
        stmt = stmt.order_by(Alert.triggered_at.desc(), Alert.id.desc())
        with self.db.transaction() as session:
            rows, total = paginate(session, stmt, page)
            return {"alerts": [alert_view(a, name) for a, name in rows], "pagination": page_meta(page, total)}

    def get_alert(self, principal: Principal, alert_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            return {"alert": alert_view(*self._alert(session, principal, alert_id))}

    def acknowledge(self, principal: Principal, alert_id: str) -> dict[str, Any]:
        """Open → acknowledged (members and up); acknowledging again changes nothing.

        Raises NotFound, Forbidden, Conflict (the alert is resolved).
        """
        principal.require_write()
        with self.db.transaction() as session:
            alert, name = self._alert(session, principal, alert_id)
            principal.require_role(alert.organization_id, OPERATE, "acknowledge alerts")
            self.book.acknowledge(session, alert, self.clock.now(), principal.user_id)
            if alert.status == "resolved":
                raise Conflict(f"Alert '{alert_id}' is resolved; there is nothing to acknowledge.")
            return {"alert": alert_view(alert, name)}

    def resolve(self, principal: Principal, alert_id: str) -> dict[str, Any]:
        """Open or acknowledged → resolved (members and up); resolving again changes nothing.

        If the condition still holds, its next evaluation opens a new alert. Raises NotFound, Forbidden.
        """
        principal.require_write()
        with self.db.transaction() as session:
            alert, name = self._alert(session, principal, alert_id)
            principal.require_role(alert.organization_id, OPERATE, "resolve alerts")
            self.book.resolve(session, alert, self.clock.now(), "Resolved by hand.", principal.user_id)
            return {"alert": alert_view(alert, name)}

    # -- record changes ---------------------------------------------------------------------

    def list_changes(
        self, principal: Principal, domain_id: str, page: PageRequest, record: str | None = None
    ) -> dict[str, Any]:
        """A domain's record changes between consecutive scans, newest first. Raises NotFound."""
        if record is not None and record not in RECORD_KINDS:
            raise ValidationError.field("record", f"record must be one of {', '.join(RECORD_KINDS)}.")
        with self.db.transaction() as session:
            domain = self.domains.load(session, principal, domain_id)
            principal.require_role(domain.organization_id, READ, "list record changes")
            stmt = select(RecordChange).where(RecordChange.domain_id == domain_id)
            if record is not None:
                stmt = stmt.where(RecordChange.kind == record)
            stmt = stmt.order_by(RecordChange.changed_at.desc(), RecordChange.id.desc())
            rows, total = paginate(session, stmt, page)
            return {"changes": [change_view(r[0]) for r in rows], "pagination": page_meta(page, total)}
