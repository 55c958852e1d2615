"""Whole scans over the wire: shape (validated against openapi.yaml's ScanResult), failure isolation,
concurrency and de-duplication of questions, and the text report."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from sentinel.dns import Scanner, make_dns_client, render_text
from tests.dns.conftest import FIXED_NOW, ZONE_FILES, codes
from tests.support.dns_server import LoopbackDnsServer

SCHEMA_FILE = Path(__file__).parents[2] / "openapi.yaml"
DOMAINS = ["example.com", "shop.example.com", "example.org", "twelve.example.org",
           "loop.example.org", "keys.example.org", "multi.example.org", "nullmx.example.org",
           "mxcname.example.org", "sf.example.org", "nowhere-at-all.com", "badtags.example.org",
           "badvalues.example.org", "badsp.example.org",
           "a.b.c.d.e.f.g.h.example.com"]


class _ScanValidator:
    """ScanResult from the spec, plus every level of the SPF include tree as an SpfNode
    (the spec does not nest SpfNode by $ref, to stay acyclic)."""

    def __init__(self) -> None:
        components = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))["components"]
        self.scan = OAS30Validator({"$ref": "#/components/schemas/ScanResult", "components": components})
        self.node = OAS30Validator({"$ref": "#/components/schemas/SpfNode", "components": components})

    def validate(self, result: dict) -> None:
        self.scan.validate(result)
        stack = list((result["spf"].get("includeTree") or {}).get("children", []))
        while stack:
            node = stack.pop()
            self.node.validate(node)
            stack.extend(node["children"])


@pytest.fixture(scope="module")
def validator() -> _ScanValidator:
    return _ScanValidator()


def test_schema_example_is_valid(validator):
    spec = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator.validate(spec["components"]["schemas"]["ScanResult"]["example"])


@pytest.mark.parametrize("domain", DOMAINS)
def test_scan_matches_schema_and_is_json(scanner, validator, domain):
    result = scanner.scan_sync(domain, ["selector1", "rsa1024"])
    validator.validate(result)
    assert json.loads(json.dumps(result)) == result
    assert result["scannedAt"] == "2026-01-02T03:04:05Z"
    assert result["domain"] == domain
    for issue in result["issues"]:
        assert issue["code"].isupper()


def test_healthy_domain_has_no_errors(scanner):
    result = scanner.scan_sync("example.com")
    assert [i for i in result["issues"] if i["severity"] == "error"] == []
    assert result["dmarc"]["effectivePolicy"] == "reject"
    assert result["spf"]["dnsLookups"] == 3
    assert result["dnssec"]["signed"] is True


def test_issues_are_ordered_by_severity(scanner):
    result = scanner.scan_sync("twelve.example.org")
    order = [i["severity"] for i in result["issues"]]
    rank = {"error": 0, "warning": 1, "info": 2}
    assert order == sorted(order, key=rank.__getitem__)


def test_servfail_and_timeout_stay_in_their_part(scanner):
    result = scanner.scan_sync("sf.example.org")
    assert result["dmarc"]["status"] == "error"  # _dmarc answers SERVFAIL
    assert result["tlsRpt"]["status"] == "error"  # _smtp._tls never answers
    assert "timeout" in result["tlsRpt"]["error"].lower()
    assert result["spf"]["status"] == "ok" and result["spf"]["valid"] is True
    assert {"DMARC_DNS_ERROR", "TLS_RPT_DNS_ERROR"} <= codes(result["issues"])
    assert "DMARC_MISSING" not in codes(result["issues"])


def test_nxdomain_domain_is_a_finding(scanner):
    result = scanner.scan_sync("nowhere-at-all.com")
    assert result["spf"]["status"] == "not_found"
    assert result["dmarc"]["status"] == "not_found"
    assert result["mx"]["status"] == "not_found"
    assert {"SPF_MISSING", "DMARC_MISSING", "MX_MISSING"} <= codes(result["issues"])


def test_server_that_never_answers():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        port = silent.getsockname()[1]
        client = make_dns_client([f"127.0.0.1:{port}"], timeout=0.2, lifetime=0.4)
        result = Scanner(client, None, lambda: FIXED_NOW, common_selectors=("default",)
                         ).scan_sync("example.com")
    finally:
        silent.close()
    for part in ("dmarc", "spf", "dkim", "mx", "mtaSts", "tlsRpt", "bimi", "dnssec"):
        assert result[part]["status"] == "error", part
    assert result["spf"]["valid"] is None
    assert "SPF_MISSING" not in codes(result["issues"])
    assert "DNSSEC_DNS_ERROR" in codes(result["issues"])


def test_questions_are_asked_once_and_concurrently():
    with LoopbackDnsServer(ZONE_FILES, delay_ms=30) as server:
        client = make_dns_client([server.nameserver], timeout=2, lifetime=4)
        result = Scanner(client, None, lambda: FIXED_NOW).scan_sync("chain5.example.org")
        asked = list(server.queries)
        assert len(asked) == len(set(asked)), "a question went out twice in one scan"
        assert result["dnsQueries"] == len(asked)
        # The apex TXT serves both SPF and the DMARC misplaced-record check.
        assert asked.count(("chain5.example.org", "TXT")) == 1
        # Dozens of independent questions were in flight at once, not one by one.
        assert server.max_in_flight >= 8


def test_tcp_fallback_on_truncation():
    # dnspython never renders UDP answers below 512 bytes; the 500-byte SPF record is more.
    with LoopbackDnsServer(ZONE_FILES, udp_limit=512) as server:
        client = make_dns_client([server.nameserver], timeout=1, lifetime=2)
        result = Scanner(client, None, lambda: FIXED_NOW, common_selectors=()
                         ).scan_sync("long.example.org")
        assert server.tcp_queries >= 1
    assert result["spf"]["valid"] is True
    assert len(result["spf"]["record"]) > 480


def test_render_text(scanner):
    text = render_text(scanner.scan_sync("twelve.example.org"))
    assert text.startswith("MailSentinel scan of twelve.example.org")
    assert "12/10 DNS lookups" in text
    assert "[SPF_TOO_MANY_LOOKUPS]" in text
    assert "include:i1.twelve.example.org" in text
    text = render_text(scanner.scan_sync("sf.example.org"))
    assert "could not check" in text
