"""Organizations, their members and roles, the caller's profile, and bootstrap."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sentinel.accounts.principal import MANAGE, OWN, PLANS, READ, Principal, Role
from sentinel.accounts.tokens import TokenService, parse_scopes
from sentinel.accounts.views import member_view, organization_view, user_view
from sentinel.alerts.defaults import create_default_rules
from sentinel.clock import Clock, IdGenerator
from sentinel.errors import Conflict, NotFound, ValidationError
from sentinel.pagination import PageRequest, page_meta, paginate
from sentinel.store.db import Database, lock_row
from sentinel.store.models import ApiToken, Domain, Membership, Organization, User

# Kept identical to the spec's pattern for MemberCreate.email (ASCII local parts only).
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`|~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)


def normalize_email(raw: str) -> str:
    """The address lower-cased; raises ValidationError when it is not an address.

    RFC 5321 §2.4 lets a server treat local parts case-sensitively, but no mailbox provider
    does, and two accounts for `Alice@` and `alice@` would be one person split in two.
    """
    # fullmatch, not match: "$" would let a trailing newline through, which the spec refuses.
    if len(raw) > 320 or not _EMAIL.fullmatch(raw):
        raise ValidationError.field("email", f"'{raw[:80]}' is not a valid e-mail address.")
    return raw.lower()


# What no reader sees: controls, blanks, zero-width characters, joiners, bidi controls,
# Hangul fillers and variation selectors. Kept identical to the spec's DisplayName pattern.
_INVISIBLE = (
    "\x00-\x20\x7f-\xa0\xad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f"
    "\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_VISIBLE = re.compile(f"[^{_INVISIBLE}]")


def clean_name(raw: str, field: str, max_length: int = 200) -> str:
    """Blanks collapsed; raises ValidationError for a name no reader could see, or too long."""
    name = " ".join(raw.split())
    if not name:
        raise ValidationError.field(field, f"{field} must not be blank.")
    if not _VISIBLE.search(name):
        raise ValidationError.field(field, f"{field} must contain a visible character.")
    if len(name) > max_length:
        raise ValidationError.field(field, f"{field} must be at most {max_length} characters.")
    return name


def check_plan(plan: str) -> str:
    if plan not in PLANS:
        raise ValidationError.field("plan", f"Unknown plan '{plan}': use free, pro or enterprise.")
    return plan


@dataclass(frozen=True)
class Bootstrap:
    token: str
    organization_id: str
    user_id: str
    token_id: str


class OrganizationService:
    def __init__(self, db: Database, clock: Clock, ids: IdGenerator, tokens: TokenService) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        self.tokens = tokens

    # -- the caller -------------------------------------------------------------------------

    def me(self, principal: Principal) -> dict[str, Any]:
        with self.db.transaction() as session:
            user = session.get(User, principal.user_id)
            if user is None:
                raise NotFound("The user of this token no longer exists.")
            rows = session.execute(
                select(Membership, Organization)
                .join(Organization, Organization.id == Membership.organization_id)
                .where(Membership.user_id == principal.user_id)
                .order_by(Organization.created_at, Organization.id)
            ).all()
            return {
                "user": user_view(user),
                "memberships": [
                    {
                        "organization": {"id": org.id, "name": org.name, "plan": org.plan},
                        "role": m.role,
                        "joinedAt": member_view(m, user)["joinedAt"],
                    }
                    for m, org in rows
                ],
                "token": {
                    "id": principal.token_id,
                    "organizationId": principal.organization_id,
                    "scopes": sorted(principal.scopes),
                },
            }

    # -- organizations ------------------------------------------------------------------------

    def _views(self, session: Session, principal: Principal, orgs: list[Organization]) -> list[dict[str, Any]]:
        ids = [o.id for o in orgs]
        if not ids:
            return []
        members: dict[str, int] = dict(
            session.execute(
                select(Membership.organization_id, func.count())
                .where(Membership.organization_id.in_(ids))
                .group_by(Membership.organization_id)
            ).all()
        )
        domains: dict[str, int] = dict(
            session.execute(
                select(Domain.organization_id, func.count())
                .where(Domain.organization_id.in_(ids))
                .group_by(Domain.organization_id)
            ).all()
        )
        return [
            organization_view(o, principal.roles[o.id].name, members.get(o.id, 0), domains.get(o.id, 0)) for o in orgs
        ]

    def list_for_user(self, principal: Principal, page: PageRequest) -> dict[str, Any]:
        stmt = (
            select(Organization)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == principal.user_id)
            .order_by(Organization.created_at, Organization.id)
        )
        with self.db.transaction() as session:
            rows, total = paginate(session, stmt, page)
            orgs = [r[0] for r in rows]
            return {"organizations": self._views(session, principal, orgs), "pagination": page_meta(page, total)}

    def _create(self, session: Session, user_id: str, name: str, plan: str) -> Organization:
        now = self.clock.now()
        org = Organization(id=self.ids.new("org"), name=name, plan=plan, created_at=now, updated_at=now)
        session.add(org)
        session.flush()
        session.add(Membership(organization_id=org.id, user_id=user_id, role=Role.owner.name, created_at=now))
        create_default_rules(session, self.ids, self.clock, org.id)
        return org

    def create(self, principal: Principal, name: str, plan: str | None) -> dict[str, Any]:
        principal.require_write()
        name = clean_name(name, "name")
        plan = check_plan(plan or "free")
        with self.db.transaction() as session:
            org = self._create(session, principal.user_id, name, plan)
            result = {"organization": organization_view(org, Role.owner.name, 1, 0)}
            self.tokens.forget_principals(session)
        return result

    def _org(self, session: Session, principal: Principal, org_id: str) -> Organization:
        principal.role_in(org_id)
        org = session.get(Organization, org_id)
        if org is None:
            raise NotFound(f"Organization '{org_id}' was not found.")
        return org

    def get(self, principal: Principal, org_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            org = self._org(session, principal, org_id)
            return {"organization": self._views(session, principal, [org])[0]}

    def update(self, principal: Principal, org_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Rename (admin) or change the plan (owner). Raises ValidationError, Forbidden, NotFound."""
        principal.require_write()
        if "plan" in changes:
            principal.require_role(org_id, OWN, "change the plan")
        if "name" in changes:
            principal.require_role(org_id, MANAGE, "rename the organization")
        with self.db.transaction() as session:
            org = self._org(session, principal, org_id)
            if "name" in changes:
                org.name = clean_name(changes["name"], "name")
            if "plan" in changes:
                org.plan = check_plan(changes["plan"])
            org.updated_at = self.clock.now()
            session.flush()
            result = {"organization": self._views(session, principal, [org])[0]}
            self.tokens.forget_principals(session)
        return result

    def delete(self, principal: Principal, org_id: str) -> dict[str, Any]:
        """Delete the organization with its domains, memberships and the tokens bound to it."""
        principal.require_write()
        principal.require_role(org_id, OWN, "delete the organization")
        with self.db.transaction() as session:
            org = self._org(session, principal, org_id)
            session.delete(org)
            self.tokens.forget_principals(session)
        return {"id": org_id, "deleted": True}

    # -- members ------------------------------------------------------------------------------

    def list_members(self, principal: Principal, org_id: str, page: PageRequest) -> dict[str, Any]:
        principal.require_role(org_id, READ, "list members")
        stmt = (
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org_id)
            .order_by(Membership.created_at, User.id)
        )
        with self.db.transaction() as session:
            rows, total = paginate(session, stmt, page)
            return {"members": [member_view(m, u) for m, u in rows], "pagination": page_meta(page, total)}

    def _member(self, session: Session, org_id: str, user_id: str) -> tuple[Membership, User]:
        row = session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org_id, Membership.user_id == user_id)
        ).first()
        if row is None:
            raise NotFound(f"User '{user_id}' is not a member of organization '{org_id}'.")
        return row[0], row[1]

    def get_member(self, principal: Principal, org_id: str, user_id: str) -> dict[str, Any]:
        principal.require_role(org_id, READ, "view members")
        with self.db.transaction() as session:
            return {"member": member_view(*self._member(session, org_id, user_id))}

    def add_member(self, principal: Principal, org_id: str, email: str, role: str, name: str | None) -> dict[str, Any]:
        """Add a user (created when the address is new). Raises Conflict when already a member."""
        principal.require_write()
        new_role = Role.parse(role)
        principal.require_role(org_id, MANAGE, "add members")
        if new_role == Role.owner:
            principal.require_role(org_id, OWN, "add owners")
        address = normalize_email(email)
        now = self.clock.now()
        display_name = clean_name(name, "name") if name else None
        with self.db.transaction(write_lock=True) as session:
            # Locked so that the same address added twice at once is one 201 and one 409.
            self._lock_members(session, org_id)
            user = self._user_by_email(session, address, display_name, now)
            if session.get(Membership, (org_id, user.id)) is not None:
                raise Conflict(f"{address} is already a member of this organization.")
            membership = Membership(organization_id=org_id, user_id=user.id, role=new_role.name, created_at=now)
            session.add(membership)
            session.flush()
            result = {"member": member_view(membership, user)}
            self.tokens.forget_principals(session)
        return result

    def _user_by_email(self, session: Session, address: str, name: str | None, now: datetime) -> User:
        """The user with this address, created when new. Two requests creating the same new
        address at once (for two organizations) both get the one user: the loser of the
        unique index waits for the winner, then reads its row."""
        user = session.scalar(select(User).where(User.email == address))
        if user is not None:
            return user
        user = User(id=self.ids.new("usr"), email=address, name=name, created_at=now)
        try:
            with session.begin_nested():
                session.add(user)
        except IntegrityError:
            existing = session.scalar(select(User).where(User.email == address))
            if existing is None:
                raise
            return existing
        return user

    def _lock_members(self, session: Session, org_id: str) -> None:
        """Serialise changes to an organization's memberships: two owners leaving (or
        demoting each other) at once must not both see the other one still there."""
        if not lock_row(session, Organization.id, org_id):
            raise NotFound(f"Organization '{org_id}' was not found.")

    def _owners(self, session: Session, org_id: str) -> int:
        return int(
            session.scalar(
                select(func.count()).where(Membership.organization_id == org_id, Membership.role == Role.owner.name)
            )
            or 0
        )

    def change_role(self, principal: Principal, org_id: str, user_id: str, role: str) -> dict[str, Any]:
        """Change a member's role; only owners grant or take away ownership; one owner always stays."""
        principal.require_write()
        new_role = Role.parse(role)
        principal.require_role(org_id, MANAGE, "change roles")
        with self.db.transaction(write_lock=True) as session:
            self._lock_members(session, org_id)
            membership, user = self._member(session, org_id, user_id)
            old_role = Role[membership.role]
            if Role.owner in (old_role, new_role):
                principal.require_role(org_id, OWN, "grant or remove the owner role")
            if old_role == Role.owner and new_role != Role.owner and self._owners(session, org_id) == 1:
                raise Conflict("An organization needs at least one owner; make someone else owner first.")
            membership.role = new_role.name
            result = {"member": member_view(membership, user)}
            self.tokens.forget_principals(session)
        return result

    def remove_member(self, principal: Principal, org_id: str, user_id: str) -> dict[str, Any]:
        """Remove a member (admins, or anyone leaving); their tokens bound here are revoked."""
        principal.require_write()
        if user_id != principal.user_id:
            principal.require_role(org_id, MANAGE, "remove members")
        else:
            principal.role_in(org_id)
        with self.db.transaction(write_lock=True) as session:
            self._lock_members(session, org_id)
            membership, _user = self._member(session, org_id, user_id)
            if membership.role == Role.owner.name:
                if user_id != principal.user_id:
                    principal.require_role(org_id, OWN, "remove an owner")
                if self._owners(session, org_id) == 1:
                    raise Conflict("The last owner cannot leave; delete the organization or add an owner.")
            session.delete(membership)
            session.execute(
                update(ApiToken)
                .where(
                    ApiToken.user_id == user_id,
                    ApiToken.organization_id == org_id,
                    ApiToken.revoked_at.is_(None),
                )
                .values(revoked_at=self.clock.now())
            )
            self.tokens.forget_principals(session)
        return {"id": user_id, "deleted": True}

    # -- bootstrap ----------------------------------------------------------------------------

    def issue_member_token(
        self, email: str, org_id: str, name: str = "issued by an operator", scopes: list[str] | None = None
    ) -> Bootstrap:
        """Issue a token to an existing member of an organization, bound to it (operators only:
        the CLI, for members added through the API, who have no token yet).

        Raises ValidationError (bad address or scopes), NotFound (no such user or membership).
        """
        address = normalize_email(email)
        scope_text = parse_scopes(scopes)
        with self.db.transaction() as session:
            user = session.scalar(select(User).where(User.email == address))
            if user is None or session.get(Membership, (org_id, user.id)) is None:
                raise NotFound(f"{address} is not a member of organization '{org_id}'.")
            token, secret = self.tokens.issue(
                session, user_id=user.id, organization_id=org_id, name=clean_name(name, "name", 100), scopes=scope_text
            )
            return Bootstrap(token=secret, organization_id=org_id, user_id=user.id, token_id=token.id)

    def bootstrap(
        self,
        email: str,
        org_name: str,
        plan: str = "free",
        token_secret: str | None = None,
        token_name: str = "bootstrap",
    ) -> Bootstrap:
        """Create (or reuse) a user and an organization they own, and issue a token bound to it."""
        address = normalize_email(email)
        name = clean_name(org_name, "org")
        check_plan(plan)
        now = self.clock.now()
        with self.db.transaction() as session:
            user = self._user_by_email(session, address, None, now)
            # Bootstrapping twice with the same address and name reuses that organization.
            org = session.scalar(
                select(Organization)
                .join(Membership, Membership.organization_id == Organization.id)
                .where(Membership.user_id == user.id, Membership.role == Role.owner.name, Organization.name == name)
                .order_by(Organization.created_at)
                .limit(1)
            ) or self._create(session, user.id, name, plan)
            token, secret = self.tokens.issue(
                session,
                user_id=user.id,
                organization_id=org.id,
                name=token_name,
                scopes=parse_scopes(None),
                secret=token_secret,
            )
            result = Bootstrap(token=secret, organization_id=org.id, user_id=user.id, token_id=token.id)
            self.tokens.forget_principals(session)
        return result
