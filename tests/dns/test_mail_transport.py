"""MX, MTA-STS (policy over a local HTTPS server), TLS-RPT, BIMI and DNSSEC."""

from __future__ import annotations

import pytest

from sentinel.dns.bimi import check_bimi
from sentinel.dns.dnssec import check_dnssec
from sentinel.dns.https import HttpxFetcher, StaticFetcher
from sentinel.dns.mtasts import check_mta_sts, mx_coverage, mx_matches, parse_sts_policy
from sentinel.dns.mx import check_mx
from sentinel.dns.scanner import Scanner
from sentinel.dns.tlsrpt import check_tls_rpt
from tests.dns.conftest import FIXED_NOW, codes, run
from tests.dns.https_server import LoopbackHttpsServer

POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.com\r\nmax_age: 86400\r\n"
POLICY_PATH = "/.well-known/mta-sts.txt"


def test_mx_of_a_healthy_domain(client):
    result, issues = run(check_mx(client, "example.com"))
    assert [(h["preference"], h["host"]) for h in result["hosts"]] == [
        (10, "mx1.example.com"), (20, "mx2.example.com")]
    assert result["hosts"][1]["addresses"] == ["127.0.0.12", "::1"]
    assert issues == []


def test_null_mx(client):
    result, issues = run(check_mx(client, "nullmx.example.org"))
    assert result["nullMx"] is True and result["hosts"] == []
    assert "MX_NULL" in codes(issues)


def test_mx_target_cname_and_no_address(client):
    result, issues = run(check_mx(client, "mxcname.example.org"))
    assert result["hosts"][0]["cname"] == "real.example.org"
    assert "MX_TARGET_CNAME" in codes(issues)
    result, issues = run(check_mx(client, "mxnoaddr.example.org"))
    assert "MX_TARGET_NO_ADDRESS" in codes(issues)


def test_mx_missing(client):
    result, issues = run(check_mx(client, "chain5.example.org"))
    assert result["status"] == "not_found"
    assert "MX_MISSING" in codes(issues)


def test_sts_policy_parsing_and_patterns():
    policy = parse_sts_policy(POLICY)
    assert (policy.mode, policy.max_age, policy.errors) == ("enforce", 86400, [])
    assert parse_sts_policy("version: STSv1\nmode: enforce\nmax_age: 1\n").errors
    assert parse_sts_policy("version: STSv2\nmode: sometimes\nmx: a\nmax_age: x\n").errors
    assert mx_matches("mx1.example.com", "*.example.com")
    assert not mx_matches("a.b.example.com", "*.example.com")
    assert not mx_matches("example.com", "*.example.com")


def test_mta_sts_policy_fetched_over_local_https(client, tmp_path):
    with LoopbackHttpsServer({POLICY_PATH: POLICY}, ["mta-sts.example.com"], tmp_path) as srv:
        fetcher = HttpxFetcher(client, ca_bundle=str(srv.ca_file), port=srv.port,
                               allow_networks=["127.0.0.0/8"])
        result, _issues = run(check_mta_sts(client, fetcher, "example.com"))
    assert srv.requests == [("mta-sts.example.com", POLICY_PATH)]
    assert result["valid"] is True, result
    assert result["policy"] == {"version": "STSv1", "mode": "enforce", "maxAge": 86400,
                                "mx": ["mx1.example.com", "*.example.com"]}
    assert mx_coverage(result, ["mx1.example.com", "mx2.example.com"]) == []
    bad = mx_coverage(result, ["mail.example.net"])
    assert bad[0].code == "MTA_STS_MX_MISMATCH" and result["valid"] is False


def test_mta_sts_full_scan_with_https(dns_server, client, tmp_path):
    with LoopbackHttpsServer({POLICY_PATH: POLICY}, ["mta-sts.example.com"], tmp_path) as srv:
        fetcher = HttpxFetcher(client, ca_bundle=str(srv.ca_file), port=srv.port,
                               allow_networks=["127.0.0.0/8"])
        result = Scanner(client, fetcher, lambda: FIXED_NOW).scan_sync("example.com")
    assert result["mtaSts"]["valid"] is True
    assert result["mtaSts"]["uncoveredMx"] == []
    assert result["issues"] == []


def test_https_refuses_private_addresses_by_default(client, tmp_path):
    with LoopbackHttpsServer({POLICY_PATH: POLICY}, ["mta-sts.example.com"], tmp_path) as srv:
        fetcher = HttpxFetcher(client, ca_bundle=str(srv.ca_file), port=srv.port)
        result, issues = run(check_mta_sts(client, fetcher, "example.com"))
    assert srv.requests == []
    assert "non-public" in result["policyError"]
    assert "MTA_STS_POLICY_UNAVAILABLE" in codes(issues)


def test_https_untrusted_certificate_fails(client, tmp_path):
    with LoopbackHttpsServer({POLICY_PATH: POLICY}, ["mta-sts.example.com"], tmp_path) as srv:
        fetcher = HttpxFetcher(client, port=srv.port, allow_networks=["127.0.0.0/8"])
        result, issues = run(check_mta_sts(client, fetcher, "example.com"))
    assert result["valid"] is False
    assert "MTA_STS_POLICY_UNAVAILABLE" in codes(issues)


@pytest.mark.parametrize(("body", "code"), [
    ("version: STSv1\nmode: enforce\nmax_age: 86400\n", "MTA_STS_INVALID_POLICY"),
    (None, "MTA_STS_POLICY_UNAVAILABLE"),
])
def test_mta_sts_bad_policies_static(client, body, code):
    pages = {} if body is None else {"https://mta-sts.example.com" + POLICY_PATH: body}
    _result, issues = run(check_mta_sts(client, StaticFetcher(pages), "example.com"))
    assert code in codes(issues)


def test_mta_sts_missing(client):
    result, issues = run(check_mta_sts(client, None, "example.org"))
    assert result["status"] == "not_found" and "MTA_STS_MISSING" in codes(issues)


def test_tls_rpt(client):
    result, issues = run(check_tls_rpt(client, "example.com"))
    assert result["valid"] is True and result["rua"] == ["mailto:tlsrpt@example.com"]
    result, issues = run(check_tls_rpt(client, "example.org"))
    assert "TLS_RPT_MISSING" in codes(issues)


def test_bimi(client):
    result, _issues = run(check_bimi(client, "example.com"))
    assert result["valid"] is True and result["logo"].startswith("https://")


def test_dnssec_signed_and_unsigned(client):
    result, issues = run(check_dnssec(client, "example.com", "example.com"))
    assert result["signed"] is True and result["authenticated"] is True
    result, issues = run(check_dnssec(client, "chain5.example.org", "example.org"))
    assert result["signed"] is False and "DNSSEC_NOT_SIGNED" in codes(issues)
