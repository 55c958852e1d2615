"""The rules every new organization starts with (README "Alerts" lists them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sentinel.clock import Clock, IdGenerator
from sentinel.store.models import AlertRule

from .rules import RULE_TYPES, clean_params

# One rule of each type, over every domain, with the type's default parameters.
DEFAULT_RULES = (
    ("DMARC pass rate under 95% over 7 days", "dmarc_pass_rate"),
    ("DNS record changed", "dns_record_changed"),
    ("New DNS error", "dns_error"),
    ("DMARC policy weakened", "policy_weakened"),
    ("Reports stopped for 48 hours", "reports_stopped"),
    ("New failing source", "new_source"),
)


def default_rule_rows(ids: IdGenerator, organization_id: str) -> list[dict[str, Any]]:
    """Column values of the default rules (without timestamps), for the ORM and the migration."""
    return [
        {
            "id": ids.new("arl"),
            "organization_id": organization_id,
            "name": name,
            "type": rule_type,
            "enabled": True,
            "severity": RULE_TYPES[rule_type].severity,
            "domain_ids": None,
            "params": clean_params(rule_type, None),
        }
        for name, rule_type in DEFAULT_RULES
    ]


def create_default_rules(session: Session, ids: IdGenerator, clock: Clock, organization_id: str) -> None:
    now = clock.now()
    for row in default_rule_rows(ids, organization_id):
        session.add(AlertRule(**row, created_at=now, updated_at=now))
