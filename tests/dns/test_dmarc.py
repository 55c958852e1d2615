"""DMARC: record parsing (pure) and discovery by the DMARCbis tree walk over the wire."""

from __future__ import annotations

import pytest

from sentinel.dns.dmarc import parse_dmarc, parse_report_uri
from sentinel.dns.dmarc_check import check_dmarc, walk_names
from tests.dns.conftest import LIFETIME, TIMEOUT, codes, run


def test_parse_every_tag():
    rec = parse_dmarc("v=DMARC1; p=reject; sp=quarantine; np=reject; psd=n; t=y; "
                      "rua=mailto:a@example.com!10m; ruf=mailto:f@example.com; adkim=s; "
                      "aspf=r; fo=1:d")
    assert rec.errors == []
    assert rec.policy == "reject"
    assert rec.subdomain_policy == "quarantine"
    assert rec.nonexistent_policy == "reject"
    assert rec.testing is True
    assert rec.psd == "n"
    assert rec.rua[0].max_size == "10m"
    assert rec.rua[0].domain == "example.com"


def test_removed_and_unknown_tags_warn():
    rec = parse_dmarc("v=DMARC1; p=none; pct=50; rf=afrf; ri=86400; zz=1")
    assert rec.errors == []
    text = " ".join(rec.warnings)
    for tag in ("pct=", "rf=", "ri="):
        assert tag in text
    assert "unknown tag 'zz'" in text
    assert rec.testing is True


@pytest.mark.parametrize(
    ("tag", "value", "default"),
    [
        # RFC 9989 §4.7 defaults; RFC 9989 §4.8 / RFC 7489 §6.3: a bad value is discarded for them.
        ("adkim", "x", "r"),
        ("aspf", "q", "r"),
        ("psd", "maybe", "u"),
        ("t", "sometimes", "n"),
        ("fo", "9", "0"),
        ("fo", "0:1", "0"),  # RFC 9989 §4.7: 0 and 1 are mutually exclusive
        ("fo", "d:d", "0"),  # RFC 9989 §4.8: each of d and s at most once
        # Removed by RFC 9989; RFC 7489 §6.3 defaults.
        ("pct", "150", "100"),
        ("pct", "half", "100"),
        ("pct", "\u0661\u0660\u0660", "100"),  # Arabic-Indic digits are not DIGIT (RFC 5234)
        ("ri", "soon", "86400"),
        ("rf", "xml", "afrf"),
    ],
)
def test_a_bad_value_is_replaced_by_its_default_and_the_record_stays_valid(tag, value, default):
    rec = parse_dmarc(f"v=DMARC1; p=reject; {tag}={value}; rua=mailto:agg@example.com")
    assert rec.errors == []
    assert len(rec.ignored) == 1
    assert f"{tag}={value} is not valid" in rec.ignored[0]
    assert f"use the default {tag}={default}" in rec.ignored[0]
    assert rec.ignored[0] in rec.warnings
    assert rec.policy == "reject" and not rec.policy_lost
    if tag in ("adkim", "aspf", "psd", "t", "fo"):
        assert rec.effective(tag) == default
    assert rec.testing is False  # neither t=sometimes nor pct=150 asks for testing
    assert rec.pct is None


def test_good_values_are_used_as_published():
    rec = parse_dmarc("v=DMARC1; p=reject; adkim=S; aspf=s; psd=n; t=y; fo=1:d:s; pct=40")
    assert rec.ignored == []
    assert (rec.effective("adkim"), rec.effective("aspf"), rec.psd, rec.effective("fo")) == ("s", "s", "n", "1:d:s")
    assert rec.pct == 40 and rec.testing is True


def test_unusable_report_addresses_are_ignored_not_fatal():
    """RFC 9989 §4.7: URIs a receiver cannot use are ignored; the others still receive reports."""
    rec = parse_dmarc("v=DMARC1; p=quarantine; rua=dmarc@example.org,mailto:agg@example.com; "
                      "ruf=ftp:x")
    assert rec.errors == []
    assert rec.has_valid_rua
    text = " ".join(rec.ignored)
    assert "not a URI" in text and "receivers ignore this destination" in text
    assert "ruf: only mailto:" in text
    assert not parse_dmarc("v=DMARC1; p=none; rua=dmarc@example.org").has_valid_rua


@pytest.mark.parametrize(
    ("record", "outcome"),
    [
        # RFC 7489 §6.6.3 step 6, RFC 9989 §4.10.1: invalid p, sp or np loses the policy.
        ("v=DMARC1; p=block; rua=mailto:agg@example.com", "read the whole record as p=none"),
        ("v=DMARC1; p=block", "apply no DMARC policy at all"),
        ("v=DMARC1; p=reject; sp=rejekt; rua=mailto:agg@example.com", "read the whole record as p=none"),
        ("v=DMARC1; p=reject; np=nope; rua=dmarc@example.org", "apply no DMARC policy at all"),
    ],
)
def test_an_invalid_policy_is_an_error_that_says_what_receivers_do(record, outcome):
    rec = parse_dmarc(record)
    assert rec.policy_lost
    assert any(outcome in e for e in rec.errors), rec.errors


def test_record_level_errors():
    # RFC 9989 §4.7: v=DMARC1 first, case-sensitive, or the record is ignored.
    assert "must start with v=DMARC1" in parse_dmarc("p=none; v=DMARC1").errors[0]
    assert parse_dmarc("v=dmarc1; p=none").errors
    # RFC 6376 §3.2: a duplicated tag invalidates the tag-list.
    assert any("more than once" in e for e in parse_dmarc("v=DMARC1; p=none; p=reject").errors)
    assert any("p= tag is missing" in e for e in parse_dmarc("v=DMARC1; rua=mailto:a@b.example").errors)
    # RFC 9989 §4.8: other syntax errors in the remainder are ignored outright.
    junk = parse_dmarc("v=DMARC1; p=reject; garbage")
    assert junk.errors == [] and "'garbage' is not a tag=value pair" in junk.warnings[0]


def test_report_uri_forms():
    assert parse_report_uri("mailto:x@example.com").domain == "example.com"
    assert parse_report_uri("https://example.com/r").error is not None
    assert parse_report_uri("mailto:x@example.com!5x").error is not None


def test_walk_names_jump_to_seven_labels():
    assert walk_names("example.com") == ["example.com", "com"]
    names = walk_names("a.b.c.d.e.f.g.h.example.com")
    assert names[0] == "a.b.c.d.e.f.g.h.example.com"
    assert names[1] == "d.e.f.g.h.example.com"  # seven labels
    assert names[-1] == "com"
    assert len(names) == 8


def test_own_record(client):
    result, issues = run(check_dmarc(client, "example.com"))
    assert result["found"] and result["location"] == "domain"
    assert result["recordName"] == "_dmarc.example.com"
    assert result["effectivePolicy"] == "reject"
    assert result["effectiveSubdomainPolicy"] == "quarantine"
    assert result["adkim"] == "s" and result["aspf"] == "r"
    assert result["valid"] is True
    assert issues == []


def test_subdomain_discovers_org_policy(client):
    result, issues = run(check_dmarc(client, "shop.example.com"))
    assert result["location"] == "organizational"
    assert result["recordName"] == "_dmarc.example.com"
    assert result["effectivePolicy"] == "quarantine"  # sp of the org record
    assert "DMARC_INHERITED" in codes(issues)
    walked = [w["name"] for w in result["walk"]]
    assert walked == ["_dmarc.shop.example.com", "_dmarc.example.com", "_dmarc.com"]


def test_deep_name_walk(client, dns_server):
    result, _ = run(check_dmarc(client, "a.b.c.d.e.f.g.h.example.com"))
    assert result["recordName"] == "_dmarc.example.com"
    assert len(result["walk"]) == 8


def test_external_rua_authorized(client):
    result, _ = run(check_dmarc(client, "example.com"))
    ext = [u for u in result["rua"] if u["external"]]
    assert [u["domain"] for u in ext] == ["example.net"]
    assert ext[0]["authorized"] is True
    internal = [u for u in result["rua"] if not u["external"]]
    assert internal[0]["authorized"] is None


def test_external_rua_not_authorized(client):
    result, issues = run(check_dmarc(client, "example.org"))
    assert result["rua"][0]["external"] is True
    assert result["rua"][0]["authorized"] is False
    assert "DMARC_REPORT_DEST_UNAUTHORIZED" in codes(issues)
    assert "DMARC_REMOVED_TAG" in codes(issues)
    assert "DMARC_TESTING" in codes(issues)
    assert result["pct"] == 50


def test_multiple_records(client):
    result, issues = run(check_dmarc(client, "multi.example.org"))
    assert "DMARC_MULTIPLE_RECORDS" in codes(issues)
    assert len(result["records"]) == 2
    assert result["valid"] is False
    assert result["effectivePolicy"] is None


def test_record_at_apex_is_flagged(client):
    result, issues = run(check_dmarc(client, "apex.example.org"))
    assert "DMARC_RECORD_AT_APEX" in codes(issues)
    assert result["recordName"] == "_dmarc.example.org"


def test_invalid_record(client):
    """p=block and no usable rua=: receivers apply no DMARC policy (RFC 7489 §6.6.3 step 6)."""
    result, issues = run(check_dmarc(client, "badtags.example.org"))
    assert result["valid"] is False
    assert "DMARC_SYNTAX_ERROR" in codes(issues)
    assert result["location"] == "domain"
    assert result["effectivePolicy"] == "none"
    assert any("apply no DMARC policy at all" in e for e in result["errors"])
    assert result["adkim"] == "r" and result["pct"] is None


def test_bad_values_over_dns_keep_the_policy(client):
    """Every bad value but p/sp/np is replaced by its default: the reject policy still applies."""
    result, issues = run(check_dmarc(client, "badvalues.example.org"))
    assert result["valid"] is True
    assert "DMARC_SYNTAX_ERROR" not in codes(issues)
    assert (result["policy"], result["effectivePolicy"]) == ("reject", "reject")
    assert (result["adkim"], result["aspf"], result["fo"], result["psd"]) == ("r", "r", "0", "u")
    assert result["pct"] is None and result["testing"] is False
    assert result["tags"]["adkim"] == "x"  # as published
    ignored = [i for i in issues if i.code == "DMARC_TAG_VALUE_IGNORED"]
    assert all(i.severity == "warning" for i in ignored)
    text = " ".join(i.message for i in ignored)
    for default in ("adkim=r", "aspf=r", "pct=100", "fo=0", "psd=u", "t=n", "ri=86400", "rf=afrf"):
        assert f"use the default {default}" in text, default
    assert "dmarc@example.org" in text and "ruf: only mailto:" in text
    assert "DMARC_NO_RUA" not in codes(issues)  # agg@badvalues.example.org still gets reports


def test_an_invalid_subdomain_policy_over_dns_loses_the_policy(client):
    """sp=rejekt with a valid rua=: receivers read the record as p=none (RFC 7489 §6.6.3)."""
    result, issues = run(check_dmarc(client, "badsp.example.org"))
    assert result["valid"] is False
    assert result["effectivePolicy"] == "none"
    assert result["subdomainPolicy"] is None
    assert any("read the whole record as p=none" in e for e in result["errors"])
    assert "DMARC_SYNTAX_ERROR" in codes(issues)


def test_missing_everywhere(client):
    result, issues = run(check_dmarc(client, "nowhere-at-all.com"))
    assert result["status"] == "not_found"
    assert result["found"] is False
    assert "DMARC_MISSING" in codes(issues)


def test_servfail_is_a_temporary_error(client):
    result, issues = run(check_dmarc(client, "sf.example.org"))
    assert result["status"] == "error"
    assert "SERVFAIL" in result["error"]
    assert result["valid"] is None
    assert "DMARC_DNS_ERROR" in codes(issues)
    assert "DMARC_MISSING" not in codes(issues)


PSD_ZONES = [
    """$ORIGIN gov.uk.
$TTL 300
@        SOA  ns1 hostmaster 1 3600 600 86400 300
@        NS   ns1
ns1      A    127.0.0.53
_dmarc   TXT  "v=DMARC1; p=reject; np=reject; psd=y"
agency   A    127.0.0.30
mail.agency A 127.0.0.31
""",
    """$ORIGIN example.co.uk.
$TTL 300
@        SOA  ns1 hostmaster 1 3600 600 86400 300
@        NS   ns1
ns1      A    127.0.0.53
_dmarc   TXT  "v=DMARC1; p=none"
_dmarc.corp TXT "v=DMARC1; p=quarantine; sp=reject; psd=n"
a.b.corp A    127.0.0.32
""",
]


def test_psd_record_sets_the_organizational_domain_one_label_below():
    """RFC 9989 §4.10.2: a psd=y record makes the name one label below it the Organizational
    Domain, and its policy applies when nothing closer is published."""
    from sentinel.dns.client import make_dns_client
    from tests.support.dns_server import LoopbackDnsServer

    with LoopbackDnsServer(PSD_ZONES) as server:
        client = make_dns_client([server.nameserver], timeout=TIMEOUT, lifetime=LIFETIME)
        part, issues = run(check_dmarc(client, "mail.agency.gov.uk"))
    assert part["orgDomain"] == "agency.gov.uk"
    assert part["location"] == "psd" and part["recordName"] == "_dmarc.gov.uk"
    assert part["policy"] == "reject" and part["effectivePolicy"] == "reject"
    assert "DMARC_INHERITED" in codes(issues)


def test_psd_n_stops_the_walk_below_the_registered_domain():
    """A psd=n record marks its own name as the Organizational Domain, even under another record."""
    from sentinel.dns.client import make_dns_client
    from tests.support.dns_server import LoopbackDnsServer

    with LoopbackDnsServer(PSD_ZONES) as server:
        client = make_dns_client([server.nameserver], timeout=TIMEOUT, lifetime=LIFETIME)
        part, _issues = run(check_dmarc(client, "a.b.corp.example.co.uk"))
    assert part["orgDomain"] == "corp.example.co.uk"
    assert part["location"] == "organizational" and part["recordName"] == "_dmarc.corp.example.co.uk"
    # The domain is a subdomain of its Organizational Domain, so sp= applies.
    assert part["effectivePolicy"] == "reject"
