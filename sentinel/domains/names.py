"""Domain-name normalisation and Public Suffix List look-ups.

Pure functions: no database, no network. The PSL snapshot ships with the
``publicsuffixlist`` package, so nothing is fetched at run time.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

import idna
from publicsuffixlist import PublicSuffixList

from sentinel.errors import ValidationError

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_NAME_LENGTH = 253


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    """The list, parsed once (a quarter of a second): callers say per call how unknown TLDs count."""
    return PublicSuffixList(accept_unknown=False)


def _invalid(name: str, why: str, field: str) -> ValidationError:
    return ValidationError.field(field, f"'{name}' is not a valid domain name: {why}.")


def normalize_domain(raw: str, *, field: str = "domain") -> str:
    """Return the lower-case ASCII (IDNA A-label) form of a registrable domain or subdomain.

    Raises ValidationError when the name is malformed, an IP address, a bare TLD or
    a public suffix itself (e.g. ``co.uk``), or not under any known public suffix.
    """
    if not isinstance(raw, str):
        raise ValidationError.field(field, "Domain name must be a string.")
    name = raw.strip()
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise ValidationError.field(field, "Domain name is required.")
    shown = raw.strip()[:80]
    candidate = name.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        raise _invalid(shown, "an IP address is not a domain", field)
    if any(ch.isspace() for ch in name) or "/" in name or "@" in name or ":" in name:
        raise _invalid(shown, "it contains spaces or URL/e-mail characters", field)
    try:
        ascii_name = idna.encode(name, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise _invalid(shown, f"it cannot be converted to IDNA ({exc})", field) from None
    ascii_name = ascii_name.lower()
    if len(ascii_name) > MAX_NAME_LENGTH:
        raise _invalid(shown, f"it is longer than {MAX_NAME_LENGTH} characters", field)
    labels = ascii_name.split(".")
    for label in labels:
        if not _LABEL.match(label):
            raise _invalid(shown, f"label '{label[:63]}' must be 1-63 letters, digits or hyphens", field)
    if len(labels) < 2:
        raise _invalid(shown, "a bare top-level domain cannot be monitored", field)
    if labels[-1].isdigit():
        raise _invalid(shown, "the top-level domain cannot be numeric", field)
    psl = _psl()
    suffix = psl.publicsuffix(ascii_name)
    if suffix is None:
        raise _invalid(shown, f"'.{labels[-1]}' is not a known top-level domain", field)
    if suffix == ascii_name:
        raise _invalid(shown, "it is a public suffix; register a name under it", field)
    return ascii_name


def organizational_domain(name: str) -> str:
    """The organizational domain of a name (RFC 7489 §3.2): its public suffix plus one label.

    Unknown suffixes fall back to the last two labels so alignment still works for
    private test zones. ``name`` must already be lower-case ASCII.
    """
    name = name.rstrip(".").lower()
    registrable = _psl().privatesuffix(name, accept_unknown=True)
    if registrable:
        return str(registrable)
    labels = name.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else name


def to_unicode(ascii_name: str) -> str:
    """The Unicode (U-label) form of a stored name, for display; the input when not IDNA."""
    try:
        return str(idna.decode(ascii_name))
    except (idna.IDNAError, UnicodeError, ValueError):
        return ascii_name
