"""API tokens of the calling user."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sentinel.clock import parse_instant
from sentinel.web.api import cached, caller, created, ok, pages, quick_read, services


@quick_read
def list_tokens(page: int = 1, limit: int = 50) -> Response:
    return cached(services().tokens.list_for_user(caller(), pages(page, limit)))


def create_token(body: dict[str, Any]) -> Response:
    expires = body.get("expiresAt")
    return created(
        services().tokens.create(
            caller(),
            name=body["name"],
            scopes=body.get("scopes"),
            expires_at=parse_instant(expires) if expires else None,
            organization_id=body.get("organizationId"),
        )
    )


@quick_read
def get_token(token_id: str) -> Response:
    return cached(services().tokens.get(caller(), token_id))


def revoke_token(token_id: str) -> Response:
    return ok(services().tokens.revoke(caller(), token_id))


def rotate_token(token_id: str) -> Response:
    return ok(services().tokens.rotate(caller(), token_id))
