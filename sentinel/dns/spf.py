"""SPF record parsing (RFC 7208), pure: no I/O.

``parse_spf`` turns one record into terms and reports every syntax problem with the
offending term (RFC 7208 §4.6.1, §5, §6, §7, §12 ABNF). The walk over includes and
redirects that counts DNS lookups lives in ``spf_tree``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

SPF_VERSION = "v=spf1"
#: Mechanisms and modifiers that cost one DNS lookup each (RFC 7208 §4.6.4).
LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
_MACRO = re.compile(r"%\{([slodiphcrtv])(\d*)(r?)([.\-+,/_=]*)\}", re.IGNORECASE)
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.\-]*)=(.*)$", re.IGNORECASE)
_MECHANISM = re.compile(r"^([+\-~?]?)([a-z][a-z0-9_.\-]*)(.*)$", re.IGNORECASE)
_DUAL_CIDR = re.compile(r"^(?:/(\d{1,2}))?(?://(\d{1,3}))?$")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?$", re.IGNORECASE)


@dataclass(frozen=True)
class SpfTerm:
    """One directive or modifier of an SPF record."""

    text: str
    name: str
    is_modifier: bool = False
    qualifier: str = "+"
    target: str | None = None
    cidr4: int | None = None
    cidr6: int | None = None
    has_macro: bool = False

    @property
    def counts_lookup(self) -> bool:
        return self.name in LOOKUP_TERMS


@dataclass
class SpfRecord:
    """A parsed SPF record; ``errors`` are permanent errors (RFC 7208 §2.6.7 permerror)."""

    text: str
    terms: list[SpfTerm] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def mechanisms(self) -> list[SpfTerm]:
        return [t for t in self.terms if not t.is_modifier]

    def modifier(self, name: str) -> SpfTerm | None:
        return next((t for t in self.terms if t.is_modifier and t.name == name), None)

    @property
    def all_term(self) -> SpfTerm | None:
        return next((t for t in self.mechanisms if t.name == "all"), None)

    @property
    def redirect(self) -> SpfTerm | None:
        """The redirect that applies: ignored when the record has an ``all`` (RFC 7208 §6.1)."""
        term = self.modifier("redirect")
        return None if term is None or self.all_term is not None else term

    @property
    def uses_macros(self) -> bool:
        return any(t.has_macro for t in self.terms)


def is_spf_record(text: str) -> bool:
    """True for a TXT record that claims to be SPF version 1 (RFC 7208 §4.5)."""
    lowered = text.lower()
    return lowered == SPF_VERSION or lowered.startswith(SPF_VERSION + " ")


def check_domain_spec(spec: str) -> tuple[str | None, bool]:
    """Validate a domain-spec (RFC 7208 §7.1 macro-string + domain-end).

    Returns ``(error, has_macro)``; ``error`` is None when the spec is well formed.
    """
    has_macro = False
    rest = spec
    position = 0
    while True:
        index = rest.find("%", position)
        if index < 0:
            break
        if rest.startswith(("%%", "%_", "%-"), index):
            position = index + 2
            continue
        match = _MACRO.match(rest, index)
        if not match:
            return f"bad macro at '{rest[index:index + 12]}'", has_macro
        if match.group(1).lower() in "crt":
            return f"macro '{match.group(0)}' is only allowed in exp explanations", True
        has_macro = True
        position = match.end()
    if has_macro:
        # The domain-end may itself be a macro-expand, so nothing more can be checked.
        return None, True
    name = spec.rstrip(".")
    if not name or len(name) > 253:
        return "not a domain name", False
    labels = name.split(".")
    if len(labels) < 2:
        return "a domain name needs at least two labels", False
    if not all(_LABEL.match(label) for label in labels):
        return "not a valid domain name", False
    top = labels[-1]
    if top.isdigit() or "_" in top:
        return "the last label must be a top-level domain name", False
    return None, False


def _parse_term(text: str) -> tuple[SpfTerm | None, str | None]:
    modifier = _MODIFIER.match(text)
    if modifier:
        name = modifier.group(1).lower()
        value = modifier.group(2)
        if name in ("redirect", "exp"):
            error, macro = check_domain_spec(value)
        else:  # unknown modifiers are allowed and ignored (RFC 7208 §6)
            error, macro = None, "%{" in value
        if error:
            return None, f"'{text}': {error}"
        return SpfTerm(text, name, True, "", value, has_macro=macro), None
    mech = _MECHANISM.match(text)
    if not mech:
        return None, f"'{text}' is not a mechanism or modifier"
    qualifier = mech.group(1) or "+"
    name = mech.group(2).lower()
    rest = mech.group(3)
    if name not in MECHANISMS:
        return None, f"'{text}': unknown mechanism '{name}'"
    if name == "all":
        if rest:
            return None, f"'{text}': 'all' takes no argument"
        return SpfTerm(text, name, False, qualifier), None
    if name in ("ip4", "ip6"):
        return _parse_ip(text, name, qualifier, rest)
    target: str | None = None
    cidr_part = rest
    if rest.startswith(":"):
        spec = rest[1:]
        slash = spec.find("/") if name in ("a", "mx") else -1
        target, cidr_part = (spec[:slash], spec[slash:]) if slash >= 0 else (spec, "")
    elif rest and not rest.startswith("/"):
        return None, f"'{text}': expected ':' after '{name}'"
    if name in ("include", "exists") and not target:
        return None, f"'{text}': '{name}' needs a domain"
    if cidr_part and name not in ("a", "mx"):
        return None, f"'{text}': '{name}' takes no prefix length"
    cidr4 = cidr6 = None
    if cidr_part:
        cidr = _DUAL_CIDR.match(cidr_part)
        if not cidr:
            return None, f"'{text}': bad prefix length '{cidr_part}'"
        cidr4 = int(cidr.group(1)) if cidr.group(1) else None
        cidr6 = int(cidr.group(2)) if cidr.group(2) else None
        if (cidr4 is not None and cidr4 > 32) or (cidr6 is not None and cidr6 > 128):
            return None, f"'{text}': prefix length out of range"
    macro = False
    if target is not None:
        error, macro = check_domain_spec(target)
        if error:
            return None, f"'{text}': {error}"
    return SpfTerm(text, name, False, qualifier, target, cidr4, cidr6, macro), None


def _parse_ip(text: str, name: str, qualifier: str, rest: str) -> tuple[SpfTerm | None, str | None]:
    if not rest.startswith(":"):
        return None, f"'{text}': '{name}' needs an address"
    value = rest[1:]
    address, _, prefix = value.partition("/")
    try:
        ip = ipaddress.ip_address(address)
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None, f"'{text}': '{value}' is not a valid {name} address or network"
    if (name == "ip4") != (ip.version == 4):
        return None, f"'{text}': '{address}' is not an IPv{name[-1]} address"
    if prefix and not prefix.isdigit():
        return None, f"'{text}': bad prefix length"
    cidr = network.prefixlen if prefix else None
    return SpfTerm(text, name, False, qualifier, value, cidr if name == "ip4" else None,
                   cidr if name == "ip6" else None), None


def parse_spf(text: str) -> SpfRecord:
    """Parse one SPF record; never raises, problems are in ``errors`` and ``warnings``."""
    record = SpfRecord(text)
    if not is_spf_record(text):
        record.errors.append("the record does not start with 'v=spf1'")
        return record
    if not text.isascii():
        record.errors.append("the record contains non-ASCII characters")
    seen_all = False
    for raw in text.split(" ")[1:]:
        if not raw:
            continue
        term, error = _parse_term(raw)
        if error or term is None:
            record.errors.append(error or f"'{raw}' could not be parsed")
            continue
        if seen_all and not term.is_modifier:
            record.warnings.append(f"'{raw}' comes after 'all' and is never evaluated")
        seen_all = seen_all or term.name == "all"
        record.terms.append(term)
    for name in ("redirect", "exp"):
        if sum(1 for t in record.terms if t.is_modifier and t.name == name) > 1:
            record.errors.append(f"the '{name}' modifier appears more than once (RFC 7208 §6)")
    return record
