"""Who is calling, and what their role and token scopes allow. Pure logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from sentinel.errors import Forbidden, NotFound, ValidationError

PLANS = ("free", "pro", "enterprise")
SCOPES = ("read", "write")


class Role(IntEnum):
    """Membership roles; a higher value can do everything a lower one can."""

    viewer = 1
    member = 2
    admin = 3
    owner = 4

    @classmethod
    def parse(cls, value: str, *, field_name: str = "role") -> Role:
        try:
            return cls[value]
        except KeyError:
            raise ValidationError.field(
                field_name, f"Unknown role '{value}': use one of owner, admin, member, viewer."
            ) from None


# What each action needs; viewer reads, member scans/verifies/uploads, admin manages,
# owner changes the plan and deletes the organization.
READ = Role.viewer
OPERATE = Role.member
MANAGE = Role.admin
OWN = Role.owner


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user acting through one API token."""

    user_id: str
    token_id: str
    organization_id: str
    scopes: frozenset[str]
    roles: dict[str, Role] = field(default_factory=dict)
    # The plan of `organization_id`, read with the token so a plan change applies to the next request.
    plan: str = "free"

    @property
    def can_write(self) -> bool:
        return "write" in self.scopes

    def require_write(self) -> None:
        """Raises Forbidden when the token lacks the write scope."""
        if not self.can_write:
            raise Forbidden("This token has the 'read' scope only; the action needs 'write'.")

    def role_in(self, organization_id: str) -> Role:
        """The caller's role; raises NotFound when they are not a member (tenant isolation)."""
        role = self.roles.get(organization_id)
        if role is None:
            raise NotFound(f"Organization '{organization_id}' was not found.")
        return role

    def require_role(self, organization_id: str, needed: Role, action: str) -> Role:
        """Raises NotFound for non-members and Forbidden when the role is too low."""
        role = self.role_in(organization_id)
        if role < needed:
            raise Forbidden(f"Your role '{role.name}' cannot {action}; it needs '{needed.name}' or higher.")
        return role

    @property
    def organization_ids(self) -> list[str]:
        return list(self.roles)
