"""What alert rules look at in a scan: its records, error-level issues and DMARC policy. Pure logic.

A part the scan could not determine (DNS failed: status "error") contributes nothing, so a
passing DNS outage is never taken for a record that vanished or a policy that weakened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """A record that appeared (before None), vanished (after None) or changed between two scans."""

    kind: str
    selector: str
    before: str | None
    after: str | None

    @property
    def change(self) -> str:
        return "appeared" if self.before is None else "vanished" if self.after is None else "changed"


@dataclass(frozen=True)
class ScanFacts:
    # (kind, selector) -> the record as published, None when nothing is; determined parts only.
    records: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # Error-level issues by code.
    errors: dict[str, str] = field(default_factory=dict)
    spf_lookups: int | None = None
    # {"policy", "testing", "pct"} of the applied DMARC record; None when DMARC was not determined.
    policy: dict[str, Any] | None = None
    # Issue-code prefixes (DMARC, SPF, DKIM, MX, MTA, TLS, BIMI, DNSSEC) of parts DNS left undetermined.
    undetermined: frozenset[str] = frozenset()

    def determined(self, code: str) -> bool:
        """Whether the part an issue code belongs to was looked up (so its absence means something)."""
        return code.split("_", 1)[0] not in self.undetermined


_PREFIXES = {"dmarc": "DMARC", "spf": "SPF", "dkim": "DKIM", "mx": "MX", "mtaSts": "MTA", "tlsRpt": "TLS",
             "bimi": "BIMI", "dnssec": "DNSSEC"}


def _part(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    part = result.get(name)
    if not isinstance(part, dict) or part.get("status") == "error":
        return None
    return part


def _mx(part: dict[str, Any]) -> str | None:
    if part.get("nullMx"):
        return "0 ."
    hosts = sorted((int(h.get("preference") or 0), str(h.get("host"))) for h in part.get("hosts") or [])
    return ", ".join(f"{pref} {host}" for pref, host in hosts) or None


def scan_facts(result: dict[str, Any]) -> ScanFacts:
    """The facts of a stored scan result (the API's scan object)."""
    records: dict[tuple[str, str], str | None] = {}
    for kind, name in (("dmarc", "dmarc"), ("spf", "spf"), ("mta_sts", "mtaSts"), ("tls_rpt", "tlsRpt")):
        part = _part(result, name)
        if part is not None:
            records[(kind, "")] = part.get("record") if part.get("found") else None
    mx = _part(result, "mx")
    if mx is not None:
        records[("mx", "")] = _mx(mx) if mx.get("found") else None
    for selector in (result.get("dkim") or {}).get("selectors") or []:
        if selector.get("status") != "error":
            records[("dkim", str(selector.get("selector")))] = selector.get("record") if selector.get("found") else None
    errors = {
        str(i["code"]): str(i.get("message", ""))
        for i in result.get("issues") or []
        if i.get("severity") == "error" and i.get("code")
    }
    spf = _part(result, "spf")
    dmarc = _part(result, "dmarc")
    policy = None
    if dmarc is not None:
        found = bool(dmarc.get("found"))
        policy = {
            "policy": dmarc.get("effectivePolicy") if found else None,
            "testing": bool(dmarc.get("testing")) if found else False,
            "pct": dmarc.get("pct") if found else None,
        }
    lookups = spf.get("dnsLookups") if spf is not None and spf.get("found") else None
    undetermined = frozenset(
        prefix for name, prefix in _PREFIXES.items() if (result.get(name) or {}).get("status") == "error"
    )
    return ScanFacts(records, errors, int(lookups) if lookups is not None else None, policy, undetermined)


def merge_history(history: list[ScanFacts]) -> ScanFacts | None:
    """What was last known of each part, from scans newest first: a part the latest scan could not
    determine (DNS failed) is taken from the scan before it, so a change made during an outage
    is still seen once DNS answers again."""
    if not history:
        return None
    records: dict[tuple[str, str], str | None] = {}
    for facts in reversed(history):
        records.update(facts.records)
    newest = history[0]
    policy = next((f.policy for f in history if f.policy is not None), None)
    lookups = next((f.spf_lookups for f in history if f.spf_lookups is not None), None)
    return ScanFacts(records, newest.errors, lookups, policy, newest.undetermined)


def record_changes(before: ScanFacts, after: ScanFacts) -> list[Change]:
    """Records that differ between two scans, among those both scans determined.

    DKIM selectors compare only when both scans probed them (the known ones: configured,
    learned from reports, and the common ones found), in a stable order.
    """
    changes = []
    for key in sorted(set(before.records) & set(after.records)):
        old, new = before.records[key], after.records[key]
        if old != new:
            changes.append(Change(key[0], key[1], old, new))
    return changes
