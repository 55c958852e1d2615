"""Read the report's elements into the model: metadata, policy and records.

Element names are matched on their local part, so RFC 7489 documents (no
namespace), DMARCbis documents (``urn:ietf:params:xml:ns:dmarc-2.0``) and
reporters who invent a namespace all read the same. Unknown elements are
ignored; namespaced ones are remembered as extensions (RFC 9990 §3.1.1.4).
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime
from typing import Any

from lxml.etree import _Element

from sentinel.errors import InvalidReport

from . import alignment
from .model import (
    DkimAuthResult,
    OverrideReason,
    PolicyPublished,
    Record,
    ReportMetadata,
    SpfAuthResult,
)

_MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z


class SkipRecord(Exception):
    """A record that cannot be read; the report goes on without it."""


_LOCAL_NAMES: dict[str, str] = {}


def local(tag: Any) -> str:
    """The local name of an element tag ('' for comments and processing instructions)."""
    name = _LOCAL_NAMES.get(tag)
    if name is not None:
        return name
    if not isinstance(tag, str):
        return ""
    name = tag[tag.find("}") + 1 :]
    if len(_LOCAL_NAMES) < 4096:  # bounded: names come from untrusted input
        _LOCAL_NAMES[tag] = name
    return name


def text(el: _Element, limit: int = 1000) -> str | None:
    """The stripped text of an element, None when empty or absent."""
    value = el.text
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    return value[:limit]


def _word(el: _Element) -> str | None:
    value = el.text
    if value is None:
        return None
    value = value.strip().lower()
    return value[:64] or None


def _domain(el: _Element) -> str | None:
    value = el.text
    if value is None:
        return None
    value = value.strip().rstrip(".").lower()
    return value[:255] or None


def where(el: _Element) -> str:
    return f"line {el.sourceline}" if el.sourceline else "unknown line"


def read_metadata(el: _Element, version: str | None, namespace: str | None,
                  limit: int) -> ReportMetadata:
    """<report_metadata>; raises InvalidReport when the report cannot be identified."""
    values: dict[str, str | None] = {}
    begin_el: _Element | None = None
    end_el: _Element | None = None
    errors: list[str] = []
    for child in el:
        name = local(child.tag)
        if name == "date_range":
            for part in child:
                part_name = local(part.tag)
                if part_name == "begin":
                    begin_el = part
                elif part_name == "end":
                    end_el = part
        elif name == "error":
            message = text(child, limit)
            if message and len(errors) < 20:
                errors.append(message)
        elif name:
            values[name] = text(child, limit)
    report_id = values.get("report_id")
    if not report_id:
        raise InvalidReport(f"<report_metadata> ({where(el)}) has no <report_id>: the report "
                            "cannot be identified.")
    email = values.get("email")
    org_name = values.get("org_name")
    if not org_name and email and "@" in email:
        # Some reporters leave <org_name> empty; their address names them.
        org_name = email.rsplit("@", 1)[1].strip("<> ").lower() or None
    if not org_name:
        raise InvalidReport(f"<report_metadata> ({where(el)}) has neither <org_name> nor "
                            "<email>: the reporter cannot be identified.")
    if begin_el is None or end_el is None:
        raise InvalidReport(f"<report_metadata> ({where(el)}) has no complete <date_range> "
                            "with <begin> and <end>.")
    begin = _timestamp(begin_el)
    end = _timestamp(end_el)
    if end < begin:
        begin, end = end, begin
    return ReportMetadata(
        org_name=org_name,
        email=email,
        extra_contact_info=values.get("extra_contact_info"),
        report_id=report_id,
        begin=begin,
        end=end,
        generator=values.get("generator"),
        errors=tuple(errors),
        schema_version=version,
        namespace=namespace,
    )


def _timestamp(el: _Element) -> datetime:
    raw = text(el) or ""
    seconds: float | None = None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            seconds = parsed.timestamp()
    if seconds is None or not 0 <= seconds <= _MAX_TIMESTAMP:
        raise InvalidReport(
            f"<date_range><{local(el.tag)}> ({where(el)}) is {raw[:40]!r}, not a Unix timestamp."
        )
    return datetime.fromtimestamp(int(seconds), UTC)


def read_policy(el: _Element) -> PolicyPublished:
    """<policy_published>, with RFC 7489 §6.3 defaults for absent alignment modes."""
    values: dict[str, str | None] = {}
    domain: str | None = None
    for child in el:
        name = local(child.tag)
        if name == "domain":
            domain = _domain(child)
        elif name:
            values[name] = _word(child)
    if not domain:
        raise InvalidReport(f"<policy_published> ({where(el)}) has no <domain>: the report "
                            "cannot be matched to a domain.")
    pct_text = values.get("pct")
    pct: int | None = None
    if pct_text is not None:
        try:
            pct = max(0, min(100, int(float(pct_text))))
        except ValueError:
            pct = None
    return PolicyPublished(
        domain=domain,
        adkim=_mode(values.get("adkim")),
        aspf=_mode(values.get("aspf")),
        p=values.get("p"),
        sp=values.get("sp"),
        np=values.get("np"),
        pct=pct,
        fo=values.get("fo"),
        testing=values.get("testing"),
        discovery_method=values.get("discovery_method"),
    )


def _mode(value: str | None) -> str:
    if value and value[:1] in ("s", "r"):
        return value[:1]
    return alignment.RELAXED


def _ip(raw: str) -> str | None:
    """The canonical text of an IPv4 or IPv6 address, None when it is not one."""
    value = raw.strip().strip("[]")
    try:
        return socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, value))
    except OSError:
        pass
    try:
        return str(ipaddress.IPv6Address(value))
    except ValueError:
        return None


def read_record(rec: _Element, index: int, policy: PolicyPublished,
                extensions: set[str]) -> Record:
    """One <record>; raises SkipRecord saying what is wrong with it."""
    source_ip = count_text = disposition = pe_dkim = pe_spf = None
    header_from = envelope_from = envelope_to = None
    reasons: list[OverrideReason] = []
    dkims: list[DkimAuthResult] = []
    spfs: list[SpfAuthResult] = []
    for part in rec:
        name = local(part.tag)
        if name == "row":
            for child in part:
                cname = local(child.tag)
                if cname == "source_ip":
                    source_ip = child.text
                elif cname == "count":
                    count_text = child.text
                elif cname == "policy_evaluated":
                    for pe in child:
                        pname = local(pe.tag)
                        if pname == "disposition":
                            disposition = _word(pe)
                        elif pname == "dkim":
                            pe_dkim = _word(pe)
                        elif pname == "spf":
                            pe_spf = _word(pe)
                        elif pname == "reason":
                            reasons.append(_reason(pe))
        elif name == "identifiers":
            for child in part:
                cname = local(child.tag)
                if cname == "header_from":
                    header_from = _domain(child)
                elif cname == "envelope_from":
                    envelope_from = _domain(child)
                elif cname == "envelope_to":
                    envelope_to = _domain(child)
        elif name == "auth_results":
            for child in part:
                cname = local(child.tag)
                if cname == "dkim":
                    dkims.append(_dkim(child))
                elif cname == "spf":
                    spfs.append(_spf(child))
        elif name and part.tag[0] == "{" and len(extensions) < 20:
            extensions.add(str(part.tag))
    if source_ip is None or not source_ip.strip():
        raise SkipRecord(f"record at {where(rec)} has no <source_ip>")
    ip = _ip(source_ip[:64])
    if ip is None:
        raise SkipRecord(f"record at {where(rec)}: <source_ip> {source_ip.strip()[:64]!r} "
                         "is not an IP address")
    if count_text is None or not count_text.strip():
        raise SkipRecord(f"record at {where(rec)} has no <count>")
    try:
        count = int(count_text.strip())
    except ValueError:
        raise SkipRecord(f"record at {where(rec)}: <count> {count_text.strip()[:40]!r} is not "
                         "a whole number") from None
    if count < 0 or count > 2**53:
        raise SkipRecord(f"record at {where(rec)}: <count> {count} is out of range")
    if not header_from:
        raise SkipRecord(f"record at {where(rec)} has no <header_from>")
    dkim_ok = alignment.dkim_aligned(dkims, header_from, policy.adkim)
    spf_ok = alignment.spf_aligned(spfs, header_from, policy.aspf)
    return Record(
        index=index,
        source_ip=ip,
        count=count,
        disposition=disposition,
        dkim=pe_dkim,
        spf=pe_spf,
        header_from=header_from,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        reasons=tuple(reasons),
        dkim_results=tuple(dkims),
        spf_results=tuple(spfs),
        dkim_aligned=dkim_ok,
        spf_aligned=spf_ok,
        dmarc_pass=dkim_ok or spf_ok,
    )


def _reason(el: _Element) -> OverrideReason:
    kind = comment = None
    for child in el:
        name = local(child.tag)
        if name == "type":
            kind = _word(child)
        elif name == "comment":
            comment = text(child)
    return OverrideReason(kind, comment)


def _dkim(el: _Element) -> DkimAuthResult:
    domain = selector = result = human = None
    for child in el:
        name = local(child.tag)
        if name == "domain":
            domain = _domain(child)
        elif name == "selector":
            selector = text(child, 255)
        elif name == "result":
            result = _word(child)
        elif name == "human_result":
            human = text(child)
    return DkimAuthResult(domain, selector, result or "none", human)


def _spf(el: _Element) -> SpfAuthResult:
    domain = scope = result = human = None
    for child in el:
        name = local(child.tag)
        if name == "domain":
            domain = _domain(child)
        elif name == "scope":
            scope = _word(child)
        elif name == "result":
            result = _word(child)
        elif name == "human_result":
            human = text(child)
    return SpfAuthResult(domain, scope, result or "none", human)
