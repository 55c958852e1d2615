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
from functools import lru_cache
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
    """A record that cannot be read; the report goes on without it.

    ``code`` names the kind of problem (one of SKIP_REASONS), for counting.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


#: Why a record is skipped; the counts per reason are kept for every skipped record.
SKIP_REASONS = ("missing_source_ip", "invalid_source_ip", "missing_count", "invalid_count",
                "count_out_of_range", "missing_header_from", "invalid_text")


class RecordCaps:
    """Per-record bounds, and how many auth results and reasons they dropped."""

    __slots__ = ("dropped", "max_count", "max_reasons", "max_results")

    def __init__(self, max_results: int, max_reasons: int, max_count: int) -> None:
        self.max_results = max_results
        self.max_reasons = max_reasons
        self.max_count = max_count
        self.dropped = 0


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
    return _printable(value[:limit])


def _printable(value: str) -> str:
    """The value without NUL characters, which PostgreSQL text cannot hold (libxml2
    refuses them in XML, so this is a guard rather than a repair anyone sees)."""
    return value.replace("\x00", "") if "\x00" in value else value


def _word(el: _Element) -> str | None:
    value = el.text
    if value is None:
        return None
    value = _printable(value.strip().lower())
    return value[:64] or None


def _domain(el: _Element) -> str | None:
    value = el.text
    if value is None:
        return None
    value = _printable(value.strip().rstrip(".").lower())
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
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return None
    # A zone (fe80::1%eth0) is local to the reporter's host and has no place in a report.
    return None if address.scope_id else str(address)


# Each record element's code: the sections (which set the context of the leaves after them)
# below 10, the leaves from 10. One dict look-up per element, then integer comparisons.
_ROW, _PE, _REASON, _IDS, _AUTH = 1, 2, 3, 4, 5
(_SOURCE_IP, _COUNT, _DISPOSITION, _DKIM, _SPF, _TYPE, _COMMENT, _HEADER_FROM, _ENVELOPE_FROM, _ENVELOPE_TO,
 _DOMAIN, _SELECTOR, _SCOPE, _RESULT, _HUMAN_RESULT) = range(10, 25)
_CODES = {
    "row": _ROW, "policy_evaluated": _PE, "reason": _REASON, "identifiers": _IDS, "auth_results": _AUTH,
    "source_ip": _SOURCE_IP, "count": _COUNT, "disposition": _DISPOSITION, "dkim": _DKIM, "spf": _SPF,
    "type": _TYPE, "comment": _COMMENT, "header_from": _HEADER_FROM, "envelope_from": _ENVELOPE_FROM,
    "envelope_to": _ENVELOPE_TO, "domain": _DOMAIN, "selector": _SELECTOR, "scope": _SCOPE, "result": _RESULT,
    "human_result": _HUMAN_RESULT,
}


@lru_cache(maxsize=16)
def record_tags(namespace: str | None) -> dict[str, int]:
    """Full tag -> element code for the record elements of a document's namespace."""
    tags = dict(_CODES)
    if namespace:
        tags.update({f"{{{namespace}}}{name}": code for name, code in _CODES.items()})
    return tags


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = _printable(value.strip())
    return value[:255] or None


_UNCAPPED = RecordCaps(1 << 30, 1 << 30, 2**53)


def read_record(rec: _Element, index: int, policy: PolicyPublished,
                extensions: set[str], namespace: str | None = None,
                caps: RecordCaps = _UNCAPPED) -> Record:
    """One <record>; raises SkipRecord saying what is wrong with it.

    One flat pass over the record's elements in document order (the hot loop of
    the parser): container elements set the context their leaves belong to.
    Auth results and reasons past ``caps`` are dropped and counted in ``caps.dropped``.
    """
    try:
        return _read_record(rec, index, policy, extensions, namespace, caps)
    except UnicodeDecodeError:
        # libxml2 in recovery mode keeps character references it rejected (&#xD800;).
        raise SkipRecord("invalid_text", f"record at {where(rec)} holds text that is not "
                         "valid Unicode") from None


def _read_record(rec: _Element, index: int, policy: PolicyPublished,
                 extensions: set[str], namespace: str | None, caps: RecordCaps) -> Record:
    tags = record_tags(namespace)
    source_ip = count_text = disposition = pe_dkim = pe_spf = None
    header_from = envelope_from = envelope_to = None
    reasons: list[list[str | None]] = []
    # [domain, selector or scope, result, human], per kind in document order.
    dkim_found: list[list[str | None]] = []
    spf_found: list[list[str | None]] = []
    current: list[str | None] | None = None
    section = 0
    max_results = caps.max_results
    for el in rec.iter():
        tag = el.tag
        code = tags.get(tag)
        if code is None:
            if isinstance(tag, str) and tag[0] == "{" and el.getparent() is rec \
                    and len(extensions) < 20:
                extensions.add(tag)
            continue
        if code < 10:
            section = code
            if code == _REASON:
                current = [None, None]
                if len(reasons) < caps.max_reasons:
                    reasons.append(current)
                else:
                    caps.dropped += 1
            continue
        value = el.text
        if code in (_DKIM, _SPF):
            if section == _AUTH:
                # [None, domain, selector or scope, result, human]: the reasons' two slots line
                # up with the same indices as before (a stray leaf writes where it always did).
                current = [None, None, None, None, None]
                found = dkim_found if code == _DKIM else spf_found
                if len(found) < max_results:
                    found.append(current)
                else:
                    caps.dropped += 1  # read into `current`, never kept
            elif value is not None:
                verdict = value.strip().lower()[:64] or None
                if code == _DKIM:
                    pe_dkim = verdict
                else:
                    pe_spf = verdict
        elif value is None:
            continue
        elif code == _SOURCE_IP:
            source_ip = value[:100]
        elif code == _COUNT:
            count_text = value[:100]
        elif code == _HEADER_FROM:
            header_from = _printable(value.strip().rstrip(".").lower()[:255]) or None
        elif section == _AUTH and current is not None:
            if code == _DOMAIN:
                current[1] = _printable(value.strip().rstrip(".").lower()[:255]) or None
            elif code == _RESULT:
                current[3] = _printable(value.strip().lower()[:64]) or None
            elif code == _SELECTOR:
                current[2] = _printable(value.strip()[:255]) or None
            elif code == _SCOPE:
                current[2] = _printable(value.strip().lower()[:64]) or None
            elif code == _HUMAN_RESULT:
                current[4] = _clean(value)
        elif code == _DISPOSITION:
            disposition = _printable(value.strip().lower()[:64]) or None
        elif code == _ENVELOPE_FROM:
            envelope_from = _printable(value.strip().rstrip(".").lower()[:255]) or None
        elif code == _ENVELOPE_TO:
            envelope_to = _printable(value.strip().rstrip(".").lower()[:255]) or None
        elif section == _REASON and current is not None:
            if code == _TYPE:
                current[0] = _printable(value.strip().lower()[:64]) or None
            elif code == _COMMENT:
                current[1] = _clean(value)
    if source_ip is None or not source_ip.strip():
        raise SkipRecord("missing_source_ip", f"record at {where(rec)} has no <source_ip>")
    ip = _ip(source_ip[:64])
    if ip is None:
        raise SkipRecord("invalid_source_ip", f"record at {where(rec)}: <source_ip> "
                         f"{_printable(source_ip.strip()[:64])!r} is not an IP address")
    if count_text is None or not count_text.strip():
        raise SkipRecord("missing_count", f"record at {where(rec)} has no <count>")
    digits = count_text.strip()
    # Bounded before int(): a 100-digit count is out of range however it is read.
    if not (digits.isascii() and digits.isdigit()):
        raise SkipRecord("invalid_count", f"record at {where(rec)}: <count> "
                         f"{_printable(digits[:40])!r} is not a whole number")
    count = int(digits[:20])
    if len(digits) > 20 or count > caps.max_count:
        raise SkipRecord("count_out_of_range", f"record at {where(rec)}: <count> {digits[:40]} "
                         f"is more than {caps.max_count} (ParseLimits.max_messages)")
    if not header_from:
        raise SkipRecord("missing_header_from", f"record at {where(rec)} has no <header_from>")
    dkims = tuple([DkimAuthResult(a[1], a[2], a[3] or "none", a[4]) for a in dkim_found])
    spfs = tuple([SpfAuthResult(a[1], a[2], a[3] or "none", a[4]) for a in spf_found])
    dkim_ok = alignment.dkim_aligned(dkims, header_from, policy.adkim)
    spf_ok = alignment.spf_aligned(spfs, header_from, policy.aspf)
    return Record(index, ip, count, disposition, pe_dkim, pe_spf, header_from, envelope_from,
                  envelope_to, tuple([OverrideReason(r[0], r[1]) for r in reasons]) if reasons else (),
                  dkims, spfs, dkim_ok, spf_ok, dkim_ok or spf_ok)
