"""SPF: parsing (pure) and the include/redirect tree over the wire (RFC 7208)."""

from __future__ import annotations

import pytest

from sentinel.dns.spf import check_domain_spec, parse_spf
from sentinel.dns.spf_tree import check_spf, tree_depth
from tests.dns.conftest import codes, run


def test_parse_every_mechanism_and_modifier():
    rec = parse_spf(
        "v=spf1 a a:mail.example.com/24 mx/24//64 ptr:example.com ip4:192.0.2.0/24 "
        "ip6:2001:db8::/32 exists:%{i}.x.example.com include:_spf.example.com "
        "-all exp=explain.example.com unknown=thing"
    )
    assert rec.errors == []
    names = [t.name for t in rec.terms]
    assert names == ["a", "a", "mx", "ptr", "ip4", "ip6", "exists", "include", "all", "exp",
                     "unknown"]
    mx = rec.terms[2]
    assert (mx.cidr4, mx.cidr6) == (24, 64)
    assert rec.terms[6].has_macro
    assert rec.all_term is not None and rec.all_term.qualifier == "-"


@pytest.mark.parametrize(
    ("record", "term"),
    [
        ("v=spf1 ip4:300.1.1.1 -all", "ip4:300.1.1.1"),
        ("v=spf1 foo:bar -all", "foo:bar"),
        ("v=spf1 include -all", "include"),
        ("v=spf1 a:bad..name -all", "a:bad..name"),
        ("v=spf1 ip6:127.0.0.1 -all", "ip6:127.0.0.1"),
        ("v=spf1 a/33 -all", "a/33"),
        ("v=spf1 exists:%{z}.example.com -all", "exists:%{z}.example.com"),
        ("v=spf1 all:x", "all:x"),
    ],
)
def test_syntax_errors_name_the_term(record, term):
    rec = parse_spf(record)
    assert rec.errors, record
    assert f"'{term}'" in rec.errors[0]


def test_duplicate_redirect_and_redirect_ignored_with_all():
    assert parse_spf("v=spf1 redirect=a.example.com redirect=b.example.com").errors
    rec = parse_spf("v=spf1 -all redirect=a.example.com")
    assert rec.redirect is None


def test_domain_spec_rules():
    assert check_domain_spec("example.com") == (None, False)
    assert check_domain_spec("%{d}") == (None, True)
    assert check_domain_spec("localhost")[0] is not None
    assert check_domain_spec("example.123")[0] is not None
    assert check_domain_spec("%{c}.example.com")[0] is not None  # c only in exp


def test_include_chain_five_deep(client):
    result, _issues = run(check_spf(client, "chain5.example.org"))
    assert result["valid"] is True
    assert result["dnsLookups"] == 5
    assert tree_depth(result["includeTree"]) == 6
    node = result["includeTree"]
    names = []
    while node["children"]:
        node = node["children"][0]
        names.append(node["domain"])
    assert names == [f"l{i}.chain5.example.org" for i in range(1, 6)]


def test_twelve_lookups_reports_true_total(client):
    result, issues = run(check_spf(client, "twelve.example.org"))
    assert result["dnsLookups"] == 12
    assert result["valid"] is False
    assert "SPF_TOO_MANY_LOOKUPS" in codes(issues)
    assert any("12 DNS lookups" in e for e in result["errors"])


def test_include_loop(client):
    result, issues = run(check_spf(client, "loop.example.org"))
    assert "SPF_INCLUDE_LOOP" in codes(issues)
    loop_node = result["includeTree"]["children"][0]["children"][0]
    assert loop_node["status"] == "loop"
    assert result["valid"] is False


def test_three_void_lookups(client):
    result, issues = run(check_spf(client, "void3.example.org"))
    assert result["voidLookups"] == 3
    assert "SPF_TOO_MANY_VOID_LOOKUPS" in codes(issues)


def test_redirect_is_followed_and_counted(client):
    result, issues = run(check_spf(client, "redirect.example.org"))
    tree = result["includeTree"]
    assert tree["children"][0]["via"] == "redirect"
    assert tree["children"][0]["domain"] == "_spf.example.com"
    assert result["dnsLookups"] == 2  # redirect + the include inside _spf.example.com
    assert "SPF_NO_ALL" not in codes(issues)
    assert result["valid"] is True


def test_two_spf_records(client):
    result, issues = run(check_spf(client, "twospf.example.org"))
    assert len(result["records"]) == 2
    assert result["valid"] is False
    assert "SPF_MULTIPLE_RECORDS" in codes(issues)


def test_500_byte_record_in_three_strings_is_joined(client):
    result, issues = run(check_spf(client, "long.example.org"))
    assert 480 <= len(result["record"]) <= 520
    assert "ip4:127.0.13.0/24" in result["record"]  # split across strings mid-term
    assert result["valid"] is True
    assert "SPF_SYNTAX_ERROR" not in codes(issues)


@pytest.mark.parametrize(
    ("domain", "code"),
    [
        ("plusall.example.org", "SPF_PLUS_ALL"),
        ("neutral.example.org", "SPF_NEUTRAL_ALL"),
        ("noall.example.org", "SPF_NO_ALL"),
        ("ptr.example.org", "SPF_PTR_DEPRECATED"),
        ("macro.example.org", "SPF_MACROS"),
        ("syntax.example.org", "SPF_SYNTAX_ERROR"),
        ("manymx.example.org", "SPF_TOO_MANY_MX_NAMES"),
        ("nospf.example.org", "SPF_MISSING"),
        ("does-not-exist.example.org", "SPF_MISSING"),
    ],
)
def test_rules(client, domain, code):
    _result, issues = run(check_spf(client, domain))
    assert code in codes(issues)


def test_syntax_error_message_names_each_term(client):
    result, _ = run(check_spf(client, "syntax.example.org"))
    joined = " ".join(result["errors"])
    for term in ("ip4:300.1.1.1", "foo:bar", "a:bad..name"):
        assert term in joined
    assert result["valid"] is False


def test_ptr_and_macro_terms_count_as_lookups(client):
    result, _ = run(check_spf(client, "ptr.example.org"))
    assert result["dnsLookups"] == 1
    result, _ = run(check_spf(client, "macro.example.org"))
    assert result["dnsLookups"] == 1
