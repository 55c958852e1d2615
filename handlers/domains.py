"""Monitored domains."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sentinel.domains.service import DEFAULT_SCAN_INTERVAL_HOURS
from sentinel.web.api import cached, caller, created, ok, pages, quick_read, services


@quick_read
def list_domains(
    page: int = 1,
    limit: int = 50,
    verified: bool | None = None,
    q: str | None = None,
    organization_id: str | None = None,
) -> Response:
    return cached(services().domains.list_visible(caller(), pages(page, limit), verified, q, organization_id))


@quick_read
def list_organization_domains(
    org_id: str, page: int = 1, limit: int = 50, verified: bool | None = None, q: str | None = None
) -> Response:
    return cached(services().domains.list_for_org(caller(), org_id, pages(page, limit), verified, q))


def create_domain(org_id: str, body: dict[str, Any]) -> Response:
    return created(
        services().domains.create(
            caller(),
            org_id,
            body["domain"],
            body.get("description"),
            body.get("dkimSelectors"),
            body.get("scanIntervalHours", DEFAULT_SCAN_INTERVAL_HOURS),
        )
    )


def get_domain(domain_id: str) -> Response:
    return cached(services().domains.get(caller(), domain_id))


def update_domain(domain_id: str, body: dict[str, Any]) -> Response:
    return ok(services().domains.update(caller(), domain_id, body))


def delete_domain(domain_id: str) -> Response:
    return ok(services().domains.delete(caller(), domain_id))
