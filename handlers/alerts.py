"""Alert rules, alerts, and a domain's record changes."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sentinel.web.api import cached, caller, created, day, ok, pages, services


def list_alert_rules(org_id: str, page: int = 1, limit: int = 50) -> Response:
    return cached(services().alerts.list_rules(caller(), org_id, pages(page, limit)))


def create_alert_rule(org_id: str, body: dict[str, Any]) -> Response:
    return created(services().alerts.create_rule(caller(), org_id, body))


def get_alert_rule(rule_id: str) -> Response:
    return cached(services().alerts.get_rule(caller(), rule_id))


def update_alert_rule(rule_id: str, body: dict[str, Any]) -> Response:
    return ok(services().alerts.update_rule(caller(), rule_id, body))


def delete_alert_rule(rule_id: str) -> Response:
    return ok(services().alerts.delete_rule(caller(), rule_id))


def list_alerts(
    org_id: str,
    page: int = 1,
    limit: int = 50,
    status: str | None = None,
    domain_id: str | None = None,
    type_: str | None = None,
    from_: str | None = None,
    to: str | None = None,
) -> Response:
    return cached(
        services().alerts.list_alerts(
            caller(),
            org_id,
            pages(page, limit),
            status=status,
            domain_id=domain_id,
            alert_type=type_,
            start=day("from", from_),
            end=day("to", to),
        )
    )


def get_alert(alert_id: str) -> Response:
    return cached(services().alerts.get_alert(caller(), alert_id))


def acknowledge_alert(alert_id: str) -> Response:
    return ok(services().alerts.acknowledge(caller(), alert_id))


def resolve_alert(alert_id: str) -> Response:
    return ok(services().alerts.resolve(caller(), alert_id))


def list_domain_changes(domain_id: str, page: int = 1, limit: int = 50, record: str | None = None) -> Response:
    return cached(services().alerts.list_changes(caller(), domain_id, pages(page, limit), record))
