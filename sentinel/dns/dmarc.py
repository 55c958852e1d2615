"""DMARC record parsing and validation (RFC 7489 §6.3, DMARCbis RFC 9989 §4.7-4.8), pure.

Every tag is parsed and checked: v, p, sp, np, psd, t, pct, rua, ruf, adkim, aspf,
fo, rf, ri. What a receiver does with a bad value decides how it is reported:

- ``v`` missing, not first or not ``DMARC1``: the whole record is ignored (RFC 9989
  §4.7), and so is a record with a duplicated tag (RFC 6376 §3.2, whose tag-list syntax
  DMARC uses): errors.
- ``p``, ``sp`` or ``np`` invalid: the record is read as ``p=none`` if ``rua`` has a valid
  address, otherwise not applied at all (RFC 7489 §6.6.3 step 6, RFC 9989 §4.10.1):
  errors, since the published policy is lost.
- any other bad value is "discarded in favor of default values (if any) or ignored
  outright" (RFC 7489 §6.3, RFC 9989 §4.8): a warning naming the value receivers use,
  and the record stays valid.

Tags RFC 9989 removed (pct, rf, ri) are accepted with a warning, since RFC 7489
receivers still read them; unknown tags are ignored with a warning (RFC 9989 §4.7).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = ("v", "p", "sp", "np", "psd", "t", "pct", "rua", "ruf", "adkim", "aspf", "fo",
              "rf", "ri")
REMOVED_TAGS = {"pct": "use t=y for testing", "rf": "failure-report format is always AFRF",
                "ri": "aggregate reports are daily"}
# Tag -> (is the value valid, what is expected, the default receivers use instead, where).
_DISCARDABLE: dict[str, tuple[Callable[[str], bool], str, str, str]] = {
    "adkim": (lambda v: v.lower() in ("r", "s"), "r (relaxed) or s (strict)", "r", "RFC 9989 §4.7"),
    "aspf": (lambda v: v.lower() in ("r", "s"), "r (relaxed) or s (strict)", "r", "RFC 9989 §4.7"),
    "psd": (lambda v: v.lower() in ("y", "n", "u"), "y, n or u", "u", "RFC 9989 §4.7"),
    "t": (lambda v: v.lower() in ("y", "n"), "y or n", "n", "RFC 9989 §4.7"),
    "fo": (lambda v: _valid_fo(v), "0 or 1, optionally with d and s, separated by ':'", "0", "RFC 9989 §4.7-4.8"),
    # Removed by RFC 9989; RFC 7489 §6.3 gives their defaults.
    "pct": (lambda v: re.fullmatch("[0-9]{1,3}", v) is not None and int(v) <= 100, "an integer from 0 to 100",
            "100", "RFC 7489 §6.3"),
    "ri": (lambda v: re.fullmatch("[0-9]+", v) is not None, "a number of seconds", "86400", "RFC 7489 §6.3"),
    "rf": (lambda v: all(p.strip().lower() == "afrf" for p in v.split(":")), "afrf", "afrf", "RFC 7489 §6.3"),
}
_SIZE = re.compile(r"^(\d+)([kmgt]?)$", re.IGNORECASE)
_ADDR = re.compile(r"^[^@\s]+@([a-z0-9_\-]+(?:\.[a-z0-9_\-]+)+)$", re.IGNORECASE)


def _valid_fo(value: str) -> bool:
    """RFC 9989 §4.8 dmarc-fo: 0, 1, d, s, colon-separated; 0 and 1 exclusive, none twice."""
    parts = [p.strip().lower() for p in value.split(":")]
    return (all(p in ("0", "1", "d", "s") for p in parts) and len(set(parts)) == len(parts)
            and not {"0", "1"} <= set(parts))


def is_dmarc_record(text: str) -> bool:
    """True for a TXT record starting with the DMARC version tag (RFC 7489 §6.3)."""
    return re.match(r"^v\s*=\s*DMARC1\s*(;|$)", text, re.IGNORECASE) is not None


@dataclass
class ReportUri:
    """One ``rua``/``ruf`` destination (RFC 7489 §6.2)."""

    uri: str
    scheme: str | None = None
    address: str | None = None
    domain: str | None = None
    max_size: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"uri": self.uri, "scheme": self.scheme, "address": self.address,
                "domain": self.domain, "maxSize": self.max_size, "error": self.error}


@dataclass
class DmarcRecord:
    """A parsed DMARC record with problems found; tags hold lower-cased tag names."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    rua: list[ReportUri] = field(default_factory=list)
    ruf: list[ReportUri] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The warnings about values receivers discard in favour of the default (also in warnings).
    ignored: list[str] = field(default_factory=list)

    def effective(self, tag: str) -> str | None:
        """The value receivers use: the published one when valid, else the default (§6.3)."""
        value = self.tags.get(tag)
        valid, _, default, _ = _DISCARDABLE[tag]
        return value.lower() if value is not None and valid(value) else default

    @property
    def policy_lost(self) -> bool:
        """An invalid p, sp or np: receivers read the record as p=none or not at all (§6.6.3)."""
        return any(tag in self.tags and self.policy_value(tag) is None for tag in ("p", "sp", "np"))

    def policy_value(self, tag: str) -> str | None:
        value = self.tags.get(tag, "").lower()
        return value if value in POLICIES else None

    @property
    def policy(self) -> str | None:
        """``p``; a record without a usable ``p`` is read as ``none`` (RFC 9989 §4.7)."""
        return self.policy_value("p")

    @property
    def subdomain_policy(self) -> str | None:
        """``sp``, else ``p`` (RFC 9989 §4.7); None when the published ``sp`` is invalid."""
        return self.policy_value("sp") if "sp" in self.tags else self.policy

    @property
    def nonexistent_policy(self) -> str | None:
        """``np``, else ``sp``, else ``p`` (RFC 9989 §4.7); None when ``np`` is invalid."""
        return self.policy_value("np") if "np" in self.tags else self.subdomain_policy

    @property
    def has_valid_rua(self) -> bool:
        return any(uri.error is None for uri in self.rua)

    @property
    def pct(self) -> int | None:
        """The published pct when valid; None when absent or discarded (receivers use 100)."""
        return int(self.tags["pct"]) if "pct" in self.tags and self.effective("pct") == self.tags["pct"] else None

    @property
    def testing(self) -> bool:
        """t=y (RFC 9989) or pct below 100 (RFC 7489) ask receivers to go easy."""
        pct = self.pct
        return self.effective("t") == "y" or (pct is not None and pct < 100)

    @property
    def psd(self) -> str:
        return str(self.effective("psd"))


def parse_report_uri(raw: str) -> ReportUri:
    """Parse one report URI: ``mailto:addr[!size]`` or another absolute URI."""
    text = raw.strip()
    uri = ReportUri(text)
    if "!" in text:
        text, _, size = text.rpartition("!")
        uri.max_size = size
        if not _SIZE.match(size):
            uri.error = f"bad size limit '!{size}'"
    scheme, sep, rest = text.partition(":")
    if not sep or not scheme.isalpha():
        uri.error = f"'{raw.strip()}' is not a URI (expected mailto:address)"
        return uri
    uri.scheme = scheme.lower()
    if uri.scheme != "mailto":
        uri.error = uri.error or f"only mailto: report URIs are used by receivers, not {scheme}:"
        return uri
    address = unquote(rest)
    match = _ADDR.match(address)
    if not match:
        uri.error = uri.error or f"'{address}' is not an e-mail address"
        return uri
    uri.address = address
    uri.domain = match.group(1).lower().rstrip(".")
    return uri


def _check_value(rec: DmarcRecord, tag: str, value: str) -> None:
    low = value.lower()
    if tag in ("p", "sp", "np"):
        if low not in POLICIES:
            # What receivers then do depends on rua=, known once every tag is read.
            rec.errors.append(f"{tag}={value} is not one of none, quarantine, reject")
    elif tag in _DISCARDABLE:
        valid, expected, default, source = _DISCARDABLE[tag]
        if not valid(value):
            # RFC 7489 §6.3, RFC 9989 §4.8: discarded in favour of the default.
            message = (f"{tag}={value} is not valid (expected {expected}); receivers discard it and "
                       f"use the default {tag}={default} ({source})")
            rec.warnings.append(message)
            rec.ignored.append(message)
    elif tag in ("rua", "ruf"):
        uris = [parse_report_uri(u) for u in value.split(",") if u.strip()]
        kind = "aggregate" if tag == "rua" else "failure"
        if not uris:
            message = f"{tag}= is empty; receivers send no {kind} reports"
            rec.warnings.append(message)
            rec.ignored.append(message)
        for uri in uris:
            if uri.error:
                # RFC 9989 §4.7: URIs receivers cannot use are ignored, the others still count.
                message = f"{tag}: {uri.error}; receivers ignore this destination"
                rec.warnings.append(message)
                rec.ignored.append(message)
        setattr(rec, tag, uris)


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse one DMARC record; never raises, problems land in ``errors``/``warnings``."""
    rec = DmarcRecord(text)
    parts = [p.strip() for p in text.split(";")]
    seen: list[str] = []
    for index, part in enumerate(parts):
        if not part:
            continue
        tag, sep, value = part.partition("=")
        tag, value = tag.strip().lower(), value.strip()
        if index == 0 and (not sep or tag != "v" or value != "DMARC1"):
            # RFC 9989 §4.7: v=DMARC1 first (case-sensitive), or the record is ignored.
            rec.errors.append("the record must start with v=DMARC1, or receivers ignore all of it")
            if not sep:
                continue
        if not sep:
            # RFC 9989 §4.8: syntax errors in the remainder are ignored outright.
            rec.warnings.append(f"'{part[:60]}' is not a tag=value pair; receivers ignore it")
            continue
        if tag in seen:
            # RFC 6376 §3.2 (DMARC's tag-list syntax): a duplicated tag invalidates the list.
            rec.errors.append(f"the tag '{tag}' appears more than once, which makes the whole record "
                              "invalid (RFC 6376 §3.2)")
            continue
        seen.append(tag)
        if tag not in KNOWN_TAGS:
            rec.warnings.append(f"unknown tag '{tag}' is ignored")
            continue
        rec.tags[tag] = value
        if tag in REMOVED_TAGS:
            rec.warnings.append(f"{tag}= was removed by DMARCbis (RFC 9989): "
                                f"{REMOVED_TAGS[tag]}")
        _check_value(rec, tag, value)
    if rec.policy_lost:
        # RFC 7489 §6.6.3 step 6, RFC 9989 §4.10.1: an invalid p, sp or np loses the policy.
        rec.errors.append(
            "with an invalid p=, sp= or np=, receivers read the whole record as p=none"
            if rec.has_valid_rua else
            "with an invalid p=, sp= or np= and no valid rua= address, receivers apply no DMARC policy at all"
        )
    if "p" not in rec.tags:
        rec.errors.append("the required p= tag is missing; receivers read the record as p=none")
    elif len(seen) > 1 and seen[1] != "p":
        rec.warnings.append("p= should directly follow v=DMARC1 for RFC 7489 receivers")
    return rec
