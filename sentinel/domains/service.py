"""Monitored domains: create, list, read, update, delete, per organization."""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, BindParameter, Select, String, bindparam, or_, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sentinel.accounts.principal import MANAGE, READ, Principal
from sentinel.alerts.schedule import first_scan_at
from sentinel.clock import Clock, IdGenerator, isoformat, stored_isoformat
from sentinel.dns.dkim import selector_problem
from sentinel.domains.names import normalize_domain, to_unicode
from sentinel.domains.selectors import MAX_SELECTORS as MAX_SELECTORS
from sentinel.errors import Conflict, NotFound, ValidationError
from sentinel.pagination import PageRequest, page_meta, paginate
from sentinel.store.db import Database
from sentinel.store.models import Domain, SeenRecord, UTCDateTime
from sentinel.store.versions import Shared, VersionedCache, domains_version

VERIFICATION_PREFIX = "_mailsentinel"
VERIFICATION_VALUE = "mailsentinel-verify="
DEFAULT_SCAN_INTERVAL_HOURS = 24
MAX_SCAN_INTERVAL_HOURS = 8760


def clean_interval(value: Any) -> int:
    """Hours between scheduled rescans, 0 (off) to a year. Raises ValidationError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SCAN_INTERVAL_HOURS:
        raise ValidationError.field(
            "scanIntervalHours", f"scanIntervalHours must be an integer from 0 (off) to {MAX_SCAN_INTERVAL_HOURS}."
        )
    return value

def clean_selectors(raw: list[str]) -> list[str]:
    """Lower-case, de-duplicated DKIM selectors, exactly as the spec's DkimSelectorName allows.

    Raises ValidationError naming the selector and what is wrong with it.
    """
    selectors: list[str] = []
    for item in raw:
        problem = selector_problem(item)
        if problem:
            raise ValidationError.field("dkimSelectors", f"{item[:80]!r} is not a valid DKIM selector: {problem}.")
        selector = item.lower()
        if selector not in selectors:
            selectors.append(selector)
    if len(selectors) > MAX_SELECTORS:
        raise ValidationError.field("dkimSelectors", f"At most {MAX_SELECTORS} selectors per domain.")
    return selectors


def seen_records_view(rows: Iterable[SeenRecord]) -> dict[str, list[dict[str, Any]]]:
    """`dmarcRecords`, `spfRecords`, `dkimRecords`: current ones first, then newest first."""
    views: dict[str, list[dict[str, Any]]] = {"dmarcRecords": [], "spfRecords": [], "dkimRecords": []}
    for row in sorted(rows, key=lambda r: (not r.current, -r.last_seen.timestamp(), r.selector, r.id)):
        item: dict[str, Any] = {
            "record": row.record,
            "firstSeen": isoformat(row.first_seen),
            "lastSeen": isoformat(row.last_seen),
            "current": row.current,
        }
        if row.kind == "dkim":
            item["selector"] = row.selector
        views[f"{row.kind}Records"].append(item)
    return views


# Lists read the JSON selector columns as text (most are "[]", which needs no JSON parser)
# and the times as stored (stored_isoformat: no parsing into a datetime to print it again).
DOMAIN_COLUMNS = tuple(
    type_coerce(c, String).label(c.key) if isinstance(c.type, JSON | UTCDateTime) else c
    for c in Domain.__table__.columns
)
DomainRow = namedtuple("DomainRow", [c.key for c in Domain.__table__.columns])  # type: ignore[misc]


def _names(value: list[str] | str | None) -> list[str]:
    """A selector list from the ORM (a list) or from a list query (its JSON text)."""
    if not value or value == "[]":
        return []
    return list(json.loads(value) if isinstance(value, str) else value)


def domain_view(domain: Domain | Any, seen: Iterable[SeenRecord] | None = None) -> dict[str, Any]:
    """The API shape; with `seen` (possibly empty) it is the detailed single-domain view."""
    view: dict[str, Any] = {
        "id": domain.id,
        "organizationId": domain.organization_id,
        "domain": domain.name,
        "unicodeDomain": domain.unicode_name,
        "description": domain.description,
        "verified": domain.verified_at is not None,
        "verifiedAt": stored_isoformat(domain.verified_at),
        "verification": {
            "recordType": "TXT",
            "recordName": f"{VERIFICATION_PREFIX}.{domain.name}",
            "recordValue": f"{VERIFICATION_VALUE}{domain.verification_token}",
        },
        "dkimSelectors": _names(domain.dkim_selectors),
        "learnedDkimSelectors": _names(domain.learned_selectors),
        "scanIntervalHours": domain.scan_interval_hours,
        "nextScanAt": stored_isoformat(domain.next_scan_at),
        "createdAt": stored_isoformat(domain.created_at),
        "updatedAt": stored_isoformat(domain.updated_at),
    }
    if seen is not None:
        view.update(seen_records_view(seen))
    return view


@lru_cache(maxsize=8)
def _list_statement(verified: bool | None, searching: bool) -> Select[*tuple[Any, ...]]:
    """The list query for one combination of filters, built once: values are bound parameters
    (`org_ids`, `pattern`), so the compiled statement is reused request after request."""
    stmt = select(*DOMAIN_COLUMNS).where(Domain.organization_id.in_(bindparam("org_ids", expanding=True)))
    if verified is True:
        stmt = stmt.where(Domain.verified_at.is_not(None))
    elif verified is False:
        stmt = stmt.where(Domain.verified_at.is_(None))
    if searching:
        pattern: BindParameter[str] = bindparam("pattern", type_=String())
        stmt = stmt.where(or_(Domain.name.like(pattern, escape="\\"), Domain.unicode_name.like(pattern, escape="\\")))
    return stmt.order_by(Domain.name, Domain.id)


def _like_pattern(q: str) -> str:
    escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class DomainService:
    def __init__(self, db: Database, clock: Clock, ids: IdGenerator, *, list_cache_pages: int = 256) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        # Pages of lists, exact across processes: the database bumps an organization's
        # version on every change to its domains (migration 0010).
        self.pages: VersionedCache[Shared] = VersionedCache(db, list_cache_pages)

    def _list(self, org_ids: list[str], page: PageRequest, verified: bool | None, q: str | None) -> Shared:
        def compute() -> Shared:
            params: dict[str, Any] = {"org_ids": org_ids}
            if q:
                params["pattern"] = _like_pattern(q)
            # Plain rows on a plain connection, not ORM objects: lists are the hot path and read-only.
            with self.db.reading() as connection:
                rows, total = paginate(connection, _list_statement(verified, bool(q)), page, params)
                return Shared(domains=[domain_view(DomainRow(*r)) for r in rows], pagination=page_meta(page, total))

        key = (tuple(org_ids), page.page, page.limit, verified, q)
        return self.pages.get(key, [domains_version(org_id) for org_id in org_ids], compute)

    def list_visible(
        self,
        principal: Principal,
        page: PageRequest,
        verified: bool | None = None,
        q: str | None = None,
        organization_id: str | None = None,
    ) -> dict[str, Any]:
        """Every domain in every organization the caller belongs to."""
        org_ids = principal.organization_ids
        if organization_id is not None:
            principal.role_in(organization_id)
            org_ids = [organization_id]
        return self._list(org_ids, page, verified, q)

    def list_for_org(
        self, principal: Principal, org_id: str, page: PageRequest, verified: bool | None = None, q: str | None = None
    ) -> dict[str, Any]:
        principal.require_role(org_id, READ, "list domains")
        return self._list([org_id], page, verified, q)

    def create(
        self,
        principal: Principal,
        org_id: str,
        name: str,
        description: str | None = None,
        dkim_selectors: list[str] | None = None,
        scan_interval_hours: int = DEFAULT_SCAN_INTERVAL_HOURS,
    ) -> dict[str, Any]:
        """Add a domain. Raises ValidationError, Forbidden, NotFound, Conflict (already there)."""
        principal.require_write()
        principal.require_role(org_id, MANAGE, "add domains")
        ascii_name = normalize_domain(name)
        selectors = clean_selectors(dkim_selectors or [])
        interval = clean_interval(scan_interval_hours)
        now = self.clock.now()
        domain = Domain(
            id=self.ids.new("dom"),
            organization_id=org_id,
            name=ascii_name,
            unicode_name=to_unicode(ascii_name),
            description=description.strip() if description else None,
            verification_token=self.ids.secret(32),
            dkim_selectors=selectors,
            scan_interval_hours=interval,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.db.transaction() as session:
                exists = session.scalar(
                    select(Domain.id).where(Domain.organization_id == org_id, Domain.name == ascii_name)
                )
                if exists:
                    raise Conflict(f"The domain '{ascii_name}' is already monitored by this organization ({exists}).")
                session.add(domain)
        except IntegrityError:
            # A concurrent create of the same name won the race.
            raise Conflict(f"The domain '{ascii_name}' is already monitored by this organization.") from None
        return {"domain": domain_view(domain, seen=())}

    def load(self, session: Session, principal: Principal, domain_id: str) -> Domain:
        """The domain if the caller can see it; NotFound otherwise (tenant isolation)."""
        domain = session.get(Domain, domain_id)
        if domain is None or domain.organization_id not in principal.roles:
            raise NotFound(f"Domain '{domain_id}' was not found.")
        return domain

    def view(self, session: Session, domain: Domain) -> dict[str, Any]:
        """The detailed view, with the records scans have seen (one extra query)."""
        seen = session.scalars(select(SeenRecord).where(SeenRecord.domain_id == domain.id)).all()
        return domain_view(domain, seen)

    def get(self, principal: Principal, domain_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            return {"domain": self.view(session, self.load(session, principal, domain_id))}

    def update(self, principal: Principal, domain_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        principal.require_write()
        with self.db.transaction() as session:
            domain = self.load(session, principal, domain_id)
            principal.require_role(domain.organization_id, MANAGE, "change domains")
            if "description" in changes:
                text = changes["description"]
                domain.description = text.strip() if text else None
            if "dkimSelectors" in changes:
                domain.dkim_selectors = clean_selectors(changes["dkimSelectors"])
            if "scanIntervalHours" in changes:
                domain.scan_interval_hours = clean_interval(changes["scanIntervalHours"])
                # Rescheduled from now; unverified domains get their first when verified.
                start = self.clock.now()
                domain.next_scan_at = (
                    first_scan_at(domain.id, start, domain.scan_interval_hours) if domain.verified_at else None
                )
            domain.updated_at = self.clock.now()
            return {"domain": self.view(session, domain)}

    def delete(self, principal: Principal, domain_id: str) -> dict[str, Any]:
        principal.require_write()
        with self.db.transaction() as session:
            domain = self.load(session, principal, domain_id)
            principal.require_role(domain.organization_id, MANAGE, "delete domains")
            session.delete(domain)
        return {"id": domain_id, "deleted": True}
