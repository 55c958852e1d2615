"""API shapes of users, organizations, memberships and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sentinel.clock import isoformat
from sentinel.store.models import Membership, Organization, User


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "createdAt": isoformat(user.created_at),
    }


def organization_view(org: Organization, role: str, member_count: int, domain_count: int) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "plan": org.plan,
        "role": role,
        "memberCount": member_count,
        "domainCount": domain_count,
        "createdAt": isoformat(org.created_at),
        "updatedAt": isoformat(org.updated_at),
    }


def member_view(membership: Membership, user: User) -> dict[str, Any]:
    return {
        "userId": user.id,
        "email": user.email,
        "name": user.name,
        "role": membership.role,
        "joinedAt": isoformat(membership.created_at),
    }


class TokenFields(Protocol):
    """What a token's view reads: a stored ApiToken, or the columns of one just inserted."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def organization_id(self) -> str: ...
    @property
    def scopes(self) -> str: ...
    @property
    def secret_hint(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def last_used_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def rotated_at(self) -> datetime | None: ...


def token_status(token: TokenFields, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def token_view(token: TokenFields, now: datetime, secret: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": token.id,
        "name": token.name,
        "organizationId": token.organization_id,
        "scopes": token.scopes.split(","),
        "hint": token.secret_hint,
        "status": token_status(token, now),
        "createdAt": isoformat(token.created_at),
        "lastUsedAt": isoformat(token.last_used_at),
        "expiresAt": isoformat(token.expires_at),
        "revokedAt": isoformat(token.revoked_at),
        "rotatedAt": isoformat(token.rotated_at),
    }
    if secret is not None:
        view["token"] = secret
    return view
