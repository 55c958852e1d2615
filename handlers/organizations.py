"""Organizations the caller belongs to."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sentinel.web.api import cached, caller, created, ok, pages, services


def list_organizations(page: int = 1, limit: int = 50) -> Response:
    return cached(services().organizations.list_for_user(caller(), pages(page, limit)))


def create_organization(body: dict[str, Any]) -> Response:
    return created(services().organizations.create(caller(), body["name"], body.get("plan")))


def get_organization(org_id: str) -> Response:
    return cached(services().organizations.get(caller(), org_id))


def update_organization(org_id: str, body: dict[str, Any]) -> Response:
    return ok(services().organizations.update(caller(), org_id, body))


def delete_organization(org_id: str) -> Response:
    return ok(services().organizations.delete(caller(), org_id))
