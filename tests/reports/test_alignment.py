"""Identifier alignment (RFC 7489 §3.1) recomputed from auth results."""

from __future__ import annotations

import pytest

from sentinel.reports.alignment import dkim_aligned, domains_aligned, spf_aligned
from sentinel.reports.model import DkimAuthResult, SpfAuthResult


@pytest.mark.parametrize(("auth", "header", "mode", "expected"), [
    ("example.com", "example.com", "s", True),
    ("EXAMPLE.com.", "example.COM", "s", True),
    ("mail.example.com", "example.com", "s", False),
    ("mail.example.com", "example.com", "r", True),
    ("example.com", "news.example.com", "r", True),
    ("a.example.com", "b.example.com", "r", True),
    ("example.net", "example.com", "r", False),
    ("badexample.com", "example.com", "r", False),
    # Public suffixes: co.uk is not an organization.
    ("shop.example.co.uk", "example.co.uk", "r", True),
    ("other.co.uk", "example.co.uk", "r", False),
    # Private PSL entries: two github.io sites are different organizations.
    ("alice.github.io", "bob.github.io", "r", False),
    ("www.alice.github.io", "alice.github.io", "r", True),
    # Unknown suffixes fall back to the last two labels.
    ("mail.corp.internal-test", "corp.internal-test", "r", True),
    (None, "example.com", "r", False),
    ("", "example.com", "r", False),
])
def test_domains_aligned(auth: str | None, header: str, mode: str, expected: bool) -> None:
    assert domains_aligned(auth, header, mode) is expected


def test_dkim_needs_a_passing_aligned_signature() -> None:
    results = [DkimAuthResult("esp.net", "k1", "pass"), DkimAuthResult("example.com", "s", "fail")]
    assert not dkim_aligned(results, "example.com", "r")
    results.append(DkimAuthResult("mail.example.com", "s2", "pass"))
    assert dkim_aligned(results, "example.com", "r")
    assert not dkim_aligned(results, "example.com", "s")


def test_spf_uses_mfrom_and_falls_back_to_helo_only_without_it() -> None:
    helo = SpfAuthResult("example.com", "helo", "pass")
    mfrom_fail = SpfAuthResult("example.com", "mfrom", "fail")
    assert spf_aligned([helo], "example.com", "r")
    assert not spf_aligned([helo, mfrom_fail], "example.com", "r")
    assert spf_aligned([SpfAuthResult("bounce.example.com", None, "pass")], "example.com", "r")
    assert not spf_aligned([SpfAuthResult("bounce.example.com", None, "pass")],
                           "example.com", "s")
    assert not spf_aligned([SpfAuthResult("example.com", "mfrom", "softfail")],
                           "example.com", "r")
