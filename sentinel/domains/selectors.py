"""The DKIM selector rule (RFC 6376 §3.1 as the spec's DkimSelectorName states it), apart
from key parsing and DNS: report parser processes check learned selectors with it without
importing sentinel.dns (cryptography, dnspython)."""

from __future__ import annotations

import re

#: Selectors remembered per domain (configured and learned from reports, each list).
MAX_SELECTORS = 50
MAX_SELECTOR_LENGTH = 200
# The spec's DkimSelectorName: RFC 6376 §3.1 selectors are dot-separated labels (RFC 5321
# sub-domains, plus the '_' real selectors use), each 1-63 characters, no '-' at either end.
# ASCII classes, checked before lower-casing: str.lower() maps some non-ASCII letters
# (the Kelvin sign) onto ASCII ones.
_SELECTOR_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_SELECTOR_CHARS = re.compile(r"[A-Za-z0-9_.-]*")


def selector_problem(selector: str) -> str | None:
    """Why a selector breaks the rule, naming the first broken part; None if it is fine."""
    if not selector:
        return "it is empty"
    if len(selector) > MAX_SELECTOR_LENGTH:
        return f"it is {len(selector)} characters long; at most {MAX_SELECTOR_LENGTH} are allowed"
    if not _SELECTOR_CHARS.fullmatch(selector):
        bad = next(ch for ch in selector if not _SELECTOR_CHARS.fullmatch(ch))
        return f"it contains {bad!r}; only letters, digits, '_', '-' and '.' are allowed"
    for label in selector.split("."):
        if not label:
            return "it has an empty label (a leading, trailing or doubled '.')"
        if len(label) > 63:
            return f"label '{label[:20]}...' is {len(label)} characters long; a label has at most 63"
        if not _SELECTOR_LABEL.fullmatch(label):
            return f"label '{label}' starts or ends with '-'"
    return None


def is_valid_selector(selector: str) -> bool:
    return selector_problem(selector) is None
