"""DMARC record parsing and validation (RFC 7489 §6.3, DMARCbis RFC 9989 §4.7), pure.

Every tag is parsed and checked: v, p, sp, np, psd, t, pct, rua, ruf, adkim, aspf,
fo, rf, ri. Tags RFC 9989 removed (pct, rf, ri) are accepted with a warning, since
RFC 7489 receivers still read them; unknown tags are ignored with a warning (§4.7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = ("v", "p", "sp", "np", "psd", "t", "pct", "rua", "ruf", "adkim", "aspf", "fo",
              "rf", "ri")
REMOVED_TAGS = {"pct": "use t=y for testing", "rf": "failure-report format is always AFRF",
                "ri": "aggregate reports are daily"}
_SIZE = re.compile(r"^(\d+)([kmgt]?)$", re.IGNORECASE)
_ADDR = re.compile(r"^[^@\s]+@([a-z0-9_\-]+(?:\.[a-z0-9_\-]+)+)$", re.IGNORECASE)


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

    def policy_value(self, tag: str) -> str | None:
        value = self.tags.get(tag, "").lower()
        return value if value in POLICIES else None

    @property
    def policy(self) -> str | None:
        """``p``; a record without a usable ``p`` is read as ``none`` (RFC 9989 §4.7)."""
        return self.policy_value("p")

    @property
    def subdomain_policy(self) -> str | None:
        return self.policy_value("sp") or self.policy

    @property
    def nonexistent_policy(self) -> str | None:
        return self.policy_value("np") or self.subdomain_policy

    @property
    def pct(self) -> int | None:
        value = self.tags.get("pct")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def testing(self) -> bool:
        """t=y (RFC 9989) or pct below 100 (RFC 7489) ask receivers to go easy."""
        pct = self.pct
        return self.tags.get("t", "n").lower() == "y" or (pct is not None and pct < 100)

    @property
    def psd(self) -> str:
        return self.tags.get("psd", "u").lower()


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
    if tag in ("p", "sp", "np") and low not in POLICIES:
        rec.errors.append(f"{tag}={value} is not one of none, quarantine, reject")
    elif tag in ("adkim", "aspf") and low not in ("r", "s"):
        rec.errors.append(f"{tag}={value} must be r (relaxed) or s (strict)")
    elif tag == "psd" and low not in ("y", "n", "u"):
        rec.errors.append(f"psd={value} must be y, n or u")
    elif tag == "t" and low not in ("y", "n"):
        rec.errors.append(f"t={value} must be y or n")
    elif tag == "pct" and (not value.isdigit() or int(value) > 100):
        rec.errors.append(f"pct={value} must be an integer from 0 to 100")
    elif tag == "ri" and not value.isdigit():
        rec.errors.append(f"ri={value} must be a number of seconds")
    elif tag == "rf" and any(p.strip().lower() != "afrf" for p in value.split(":")):
        rec.errors.append(f"rf={value}: the only report format is afrf")
    elif tag == "fo" and any(p.strip() not in ("0", "1", "d", "s") for p in value.split(":")):
        rec.errors.append(f"fo={value} must be a colon-separated list of 0, 1, d, s")
    elif tag in ("rua", "ruf"):
        uris = [parse_report_uri(u) for u in value.split(",") if u.strip()]
        if not uris:
            rec.errors.append(f"{tag} is empty")
        for uri in uris:
            if uri.error:
                rec.errors.append(f"{tag}: {uri.error}")
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
        if not sep:
            rec.errors.append(f"'{part}' is not a tag=value pair")
            continue
        if index == 0 and (tag != "v" or value != "DMARC1"):
            rec.errors.append("the record must start with v=DMARC1")
        if tag in seen:
            rec.errors.append(f"the tag '{tag}' appears more than once")
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
    if "p" not in rec.tags:
        rec.errors.append("the required p= tag is missing; receivers read the record as p=none")
    elif len(seen) > 1 and seen[1] != "p":
        rec.warnings.append("p= should directly follow v=DMARC1 for RFC 7489 receivers")
    return rec
