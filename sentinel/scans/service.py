"""Scans and ownership verification of monitored domains, with their stored history.

The DNS work is sentinel.dns's; this module decides who may scan, keeps the history,
remembers the distinct DMARC/SPF/DKIM records seen, and records the events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sentinel.accounts.principal import OPERATE, READ, Principal
from sentinel.aio import run_sync
from sentinel.alerts.engine import AlertEngine
from sentinel.alerts.schedule import first_scan_at
from sentinel.clock import Clock, IdGenerator, isoformat
from sentinel.dns.client import DnsClient
from sentinel.dns.https import HttpsFetcher
from sentinel.dns.scanner import Scanner
from sentinel.domains.service import VERIFICATION_PREFIX, VERIFICATION_VALUE, DomainService
from sentinel.errors import NotFound
from sentinel.events import record_event
from sentinel.pagination import PageRequest, page_meta, paginate
from sentinel.store.db import Database, lock_row
from sentinel.store.models import Domain, Scan, SeenRecord

# Stored scans the alert rules compare a new scan with.
HISTORY = 5

# How an async caller runs a blocking call (a thread pool's port: sentinel.web.executors).
Blocking = Callable[..., Awaitable[Any]]


def _records_in(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind, selector, record) triples a scan observed."""
    found: list[tuple[str, str, str]] = []
    for kind in ("dmarc", "spf"):
        part = result.get(kind) or {}
        for record in part.get("records") or ([part["record"]] if part.get("record") else []):
            found.append((kind, "", record))
    for selector in (result.get("dkim") or {}).get("selectors", []):
        if selector.get("found") and selector.get("record"):
            found.append(("dkim", selector["selector"], selector["record"]))
    return found


def scan_summary(scan: Scan) -> dict[str, Any]:
    result = scan.result
    return {
        "id": scan.id,
        "domainId": scan.domain_id,
        "domain": result.get("domain"),
        "scannedAt": isoformat(scan.scanned_at),
        "durationMs": scan.duration_ms,
        "dmarcPolicy": (result.get("dmarc") or {}).get("policy"),
        "spfValid": (result.get("spf") or {}).get("valid"),
        "spfDnsLookups": (result.get("spf") or {}).get("dnsLookups"),
        "errorCount": scan.error_count,
        "warningCount": scan.warning_count,
    }


def scan_view(scan: Scan) -> dict[str, Any]:
    return {"id": scan.id, "domainId": scan.domain_id, **scan.result}


class ScanService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ids: IdGenerator,
        domains: DomainService,
        dns: DnsClient,
        https: HttpsFetcher | None,
        alerts: AlertEngine | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        self.domains = domains
        self.dns = dns
        self.scanner = Scanner(dns, https, clock=clock.now)
        # Evaluates the scan rules in the transaction that stores each scan.
        self.alerts = alerts

    def scan(self, principal: Principal, domain_id: str) -> dict[str, Any]:
        """Scan a domain now and store the result (members and up).

        Raises NotFound, Forbidden. DNS failures are inside the result, never raised.
        """
        name, selectors = self._target(domain_id, principal)
        return self._store(domain_id, self.scanner.scan_sync(name, selectors))

    async def scan_async(self, principal: Principal, domain_id: str, blocking: Blocking) -> dict[str, Any]:
        """`scan` for callers on an event loop (the API): the two database steps run on
        `blocking`'s threads, the DNS in between on the running loop, so a scan holds no
        thread while it waits for answers (40 at once used to queue for the slow pool's
        threads, each running an event loop of its own under the one GIL).

        Raises NotFound, Forbidden.
        """
        name, selectors = await blocking(self._target, domain_id, principal)
        result = await self.scanner.scan(name, selectors)
        stored: dict[str, Any] = await blocking(self._store, domain_id, result)
        return stored

    def scan_now(self, domain_id: str) -> dict[str, Any]:
        """Scan a domain and store the result, as the system (scheduled rescans); the caller
        checked who may. Raises NotFound when the domain does not exist (or is deleted meanwhile)."""
        name, selectors = self._target(domain_id)
        return self._store(domain_id, self.scanner.scan_sync(name, selectors))

    def _target(self, domain_id: str, principal: Principal | None = None) -> tuple[str, list[str]]:
        """The domain's name and the DKIM selectors to probe; with a principal, only when
        it may scan the domain. Raises NotFound, Forbidden."""
        if principal is not None:
            principal.require_write()
        with self.db.transaction() as session:
            if principal is not None:
                domain = self.domains.load(session, principal, domain_id)
                principal.require_role(domain.organization_id, OPERATE, "scan domains")
            else:
                found = session.get(Domain, domain_id)
                if found is None:
                    raise NotFound(f"Domain '{domain_id}' was not found.")
                domain = found
            return domain.name, list(dict.fromkeys([*domain.dkim_selectors, *domain.learned_selectors]))

    def _store(self, domain_id: str, result: dict[str, Any]) -> dict[str, Any]:
        """Store a scan's result (with the records it saw, its event and its alerts).
        The scan ran outside any transaction: DNS can take seconds. Raises NotFound when
        the domain was deleted meanwhile."""
        # Locked: concurrent scans of one domain would both insert the same new records.
        with self.db.transaction(write_lock=True) as session:
            current = session.get(Domain, domain_id) if lock_row(session, Domain.id, domain_id) else None
            if current is None:
                raise NotFound(f"Domain '{domain_id}' was deleted during the scan.")
            # The last few scans: what DNS could not answer in one is known from the one before.
            latest = select(Scan).where(Scan.domain_id == domain_id).order_by(Scan.scanned_at.desc(), Scan.id.desc())
            history = list(session.scalars(latest.limit(HISTORY)))
            issues = result.get("issues", [])
            scan = Scan(
                id=self.ids.new("scn"),
                domain_id=domain_id,
                scanned_at=self.clock.now(),
                duration_ms=int(result.get("durationMs", 0)),
                error_count=sum(1 for i in issues if i.get("severity") == "error"),
                warning_count=sum(1 for i in issues if i.get("severity") == "warning"),
                result=result,
            )
            session.add(scan)
            self._remember(session, domain_id, _records_in(result), scan.scanned_at, result)
            # Any scan, manual or scheduled, restarts the wait for the next scheduled one.
            if current.scan_interval_hours > 0:
                current.next_scan_at = scan.scanned_at + timedelta(hours=current.scan_interval_hours)
            current.scan_claimed_until = None
            record_event(
                session,
                self.ids,
                self.clock,
                current.organization_id,
                "domain.scan.completed",
                {"domainId": domain_id, "scanId": scan.id, **scan_summary(scan)},
            )
            if self.alerts is not None:
                self.alerts.after_scan(session, current, history, scan)
            return scan_view(scan)

    def _remember(
        self, session: Session, domain_id: str, seen: list[tuple[str, str, str]], now: datetime, result: dict[str, Any]
    ) -> None:
        """Upsert the records this scan saw; records of a kind the scan could determine but
        did not see stop being current (a DNS failure leaves them as they were)."""
        determined = {kind for kind in ("dmarc", "spf") if (result.get(kind) or {}).get("status") != "error"}
        probed = {s["selector"] for s in (result.get("dkim") or {}).get("selectors", []) if s.get("status") != "error"}
        existing = {
            (r.kind, r.selector, r.record_hash): r
            for r in session.scalars(select(SeenRecord).where(SeenRecord.domain_id == domain_id))
        }
        current_keys = set()
        for kind, selector, record in seen:
            digest = hashlib.sha256(record.encode("utf-8")).hexdigest()
            key = (kind, selector, digest)
            current_keys.add(key)
            row = existing.get(key)
            if row is None:
                session.add(
                    SeenRecord(
                        domain_id=domain_id,
                        kind=kind,
                        selector=selector,
                        record_hash=digest,
                        record=record[:8192],
                        first_seen=now,
                        last_seen=now,
                        current=True,
                    )
                )
            else:
                row.last_seen, row.current = now, True
        for key, row in existing.items():
            kind, selector, _ = key
            if key in current_keys or not row.current:
                continue
            if (kind in determined) or (kind == "dkim" and selector in probed):
                row.current = False

    def list_scans(self, principal: Principal, domain_id: str, page: PageRequest) -> dict[str, Any]:
        with self.db.transaction() as session:
            domain = self.domains.load(session, principal, domain_id)
            principal.require_role(domain.organization_id, READ, "list scans")
            stmt = select(Scan).where(Scan.domain_id == domain_id).order_by(Scan.scanned_at.desc(), Scan.id.desc())
            rows, total = paginate(session, stmt, page)
            return {"scans": [scan_summary(r[0]) for r in rows], "pagination": page_meta(page, total)}

    def get_scan(self, principal: Principal, scan_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            row = session.execute(
                select(Scan, Domain.organization_id).join(Domain, Domain.id == Scan.domain_id).where(Scan.id == scan_id)
            ).first()
            if row is None or row[1] not in principal.roles:
                raise NotFound(f"Scan '{scan_id}' was not found.")
            return scan_view(row[0])

    def verify(self, principal: Principal, domain_id: str) -> dict[str, Any]:
        """Look up TXT _mailsentinel.<domain> for the domain's token; mark it verified when found.

        Raises NotFound, Forbidden. The answer says why verification failed, if it did.
        """
        principal.require_write()
        with self.db.transaction() as session:
            domain = self.domains.load(session, principal, domain_id)
            principal.require_role(domain.organization_id, OPERATE, "verify domains")
            name, token = domain.name, domain.verification_token
        record_name = f"{VERIFICATION_PREFIX}.{name}"
        expected = f"{VERIFICATION_VALUE}{token}"
        answer = run_sync(self.dns.query(record_name, "TXT"))
        values = list(answer.records) if answer.ok else []
        if answer.failed:
            status, message = "dns_error", f"The DNS lookup of {record_name} failed ({answer.error}); try again later."
        elif expected in (v.strip() for v in values):
            status, message = "verified", f"Found {expected} at {record_name}."
        elif any(v.strip().startswith(VERIFICATION_VALUE) for v in values):
            status, message = "mismatch", f"A TXT record at {record_name} holds another verification value."
        else:
            status, message = "not_found", f"No TXT record {record_name} with value {expected} was found."
        with self.db.transaction() as session:
            domain = self.domains.load(session, principal, domain_id)
            if status == "verified" and domain.verified_at is None:
                domain.verified_at = self.clock.now()
                domain.updated_at = domain.verified_at
                domain.next_scan_at = first_scan_at(domain.id, domain.verified_at, domain.scan_interval_hours)
                record_event(
                    session,
                    self.ids,
                    self.clock,
                    domain.organization_id,
                    "domain.verified",
                    {"domainId": domain.id, "domain": domain.name, "verifiedAt": isoformat(domain.verified_at)},
                )
            view = self.domains.view(session, domain)
        return {
            "domain": view,
            "verification": {
                "verified": view["verified"],
                "status": status,
                "message": message,
                "recordName": record_name,
                "expectedValue": expected,
                "foundValues": values,
            },
        }
