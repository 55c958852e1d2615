"""Members of an organization and their roles."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sentinel.web.api import cached, caller, created, ok, pages, services


def list_members(org_id: str, page: int = 1, limit: int = 50) -> Response:
    return cached(services().organizations.list_members(caller(), org_id, pages(page, limit)))


def add_member(org_id: str, body: dict[str, Any]) -> Response:
    return created(services().organizations.add_member(caller(), org_id, body["email"], body["role"], body.get("name")))


def get_member(org_id: str, user_id: str) -> Response:
    return cached(services().organizations.get_member(caller(), org_id, user_id))


def update_member(org_id: str, user_id: str, body: dict[str, Any]) -> Response:
    return ok(services().organizations.change_role(caller(), org_id, user_id, body["role"]))


def remove_member(org_id: str, user_id: str) -> Response:
    return ok(services().organizations.remove_member(caller(), org_id, user_id))
