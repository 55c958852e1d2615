"""Identifier alignment recomputed from a record's auth results (RFC 7489 §3.1).

The reporter's own <policy_evaluated> verdicts are kept as reported; these
functions decide alignment independently so a sloppy reporter cannot skew stats.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sentinel.domains.names import organizational_domain

from .model import DkimAuthResult, SpfAuthResult

STRICT = "s"
RELAXED = "r"


def _clean(name: str | None) -> str:
    return (name or "").strip().rstrip(".").lower()


@lru_cache(maxsize=8192)
def _org(name: str) -> str:
    return organizational_domain(name)


def domains_aligned(auth_domain: str | None, header_from: str | None, mode: str) -> bool:
    """Whether an authenticated domain aligns with the RFC5322.From domain.

    Strict mode needs an exact match; relaxed mode needs the same organizational
    domain, found with the Public Suffix List (RFC 7489 §3.1.1, §3.2). Empty
    names never align.
    """
    return _aligned(_clean(auth_domain), _clean(header_from), mode)


def _aligned(a: str | None, h: str, mode: str) -> bool:
    """``domains_aligned`` for names already lower-case without a trailing dot."""
    if not a or not h:
        return False
    if a == h:
        return True
    if mode == STRICT:
        return False
    return _org(a) == _org(h)


def dkim_aligned(results: Iterable[DkimAuthResult], header_from: str, adkim: str) -> bool:
    """A passing DKIM signature whose d= domain aligns (RFC 7489 §3.1.1).

    Names in ``results`` and ``header_from`` are lower-case without a trailing
    dot, as the parser produces them.
    """
    return any(r.result == "pass" and _aligned(r.domain, header_from, adkim) for r in results)


def spf_aligned(results: Iterable[SpfAuthResult], header_from: str, aspf: str) -> bool:
    """A passing SPF check of the MAIL FROM domain that aligns (RFC 7489 §3.1.2).

    Only the ``mfrom`` scope counts (RFC 9990 §3.1.1.12); results without a scope
    are taken as mfrom. A ``helo`` result is used only when no mfrom result is
    present, which is how SPF treats a null reverse-path (RFC 7208 §2.4).
    """
    results = list(results)
    mfrom = [r for r in results if r.scope is None or r.scope == "mfrom"]
    chosen = mfrom or [r for r in results if r.scope == "helo"]
    return any(r.result == "pass" and _aligned(r.domain, header_from, aspf) for r in chosen)
