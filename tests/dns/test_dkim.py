"""DKIM: key records parsed with cryptography, selectors probed over the wire (RFC 6376)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from sentinel.dns.dkim import check_dkim, parse_dkim_key
from tests.dns.conftest import codes, run

SELECTORS = ["rsa1024", "rsa2048", "ed", "revoked", "weak", "broken", "hosted", "missing"]


def _rsa_record(bits: int, fmt=serialization.PublicFormat.SubjectPublicKeyInfo) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    der = key.public_bytes(serialization.Encoding.DER, fmt)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def test_parse_generated_keys():
    assert parse_dkim_key(_rsa_record(2048)).bits == 2048
    pkcs1 = parse_dkim_key(_rsa_record(1024, serialization.PublicFormat.PKCS1))
    assert pkcs1.bits == 1024 and pkcs1.warnings
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ed = parse_dkim_key("v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode())
    assert (ed.key_type, ed.bits, ed.errors) == ("ed25519", 256, [])


def test_parse_flags_and_errors():
    assert parse_dkim_key("v=DKIM1; p=").revoked
    key = parse_dkim_key("v=DKIM1; t=y:s; h=sha1:sha256; p=")
    assert key.testing and key.warnings
    assert parse_dkim_key("k=rsa; v=DKIM1; p=").errors  # v must come first
    assert parse_dkim_key("v=DKIM1; k=dsa; p=AAAA").errors
    assert parse_dkim_key("v=DKIM1; k=rsa").errors


def _by_selector(result):
    return {s["selector"]: s for s in result["selectors"]}


def test_selectors_over_the_wire(client):
    result, issues = run(check_dkim(client, "keys.example.org", SELECTORS))
    sel = _by_selector(result)
    assert (sel["rsa1024"]["keyType"], sel["rsa1024"]["keyBits"]) == ("rsa", 1024)
    assert (sel["rsa2048"]["keyType"], sel["rsa2048"]["keyBits"]) == ("rsa", 2048)
    assert (sel["ed"]["keyType"], sel["ed"]["keyBits"]) == ("ed25519", 256)
    assert sel["revoked"]["revoked"] is True and sel["revoked"]["keyBits"] is None
    assert sel["weak"]["keyBits"] == 512 and sel["weak"]["testing"] is True
    assert sel["weak"]["errors"]
    assert sel["broken"]["errors"]
    assert sel["hosted"]["cname"] == "hosted._domainkey.provider.example.net"
    assert sel["hosted"]["keyBits"] == 2048
    assert sel["missing"]["found"] is False and sel["missing"]["status"] == "not_found"
    found = codes(issues)
    for code in ("DKIM_1024_BIT_KEY", "DKIM_WEAK_KEY", "DKIM_KEY_REVOKED", "DKIM_TESTING",
                 "DKIM_INVALID_KEY", "DKIM_SELECTOR_CNAME", "DKIM_SELECTOR_NOT_FOUND"):
        assert code in found, code
    assert sel["rsa2048"]["errors"] == [] and sel["rsa2048"]["warnings"] == []


def test_common_selectors_listed_only_when_found(client):
    result, _issues = run(check_dkim(client, "example.com"))
    assert [s["selector"] for s in result["selectors"]] == ["selector1"]
    assert result["selectors"][0]["configured"] is False
    assert result["checkedSelectors"] >= 15


def test_no_key_anywhere(client):
    result, issues = run(check_dkim(client, "example.net", (), ("a", "b")))
    assert result["status"] == "not_found"
    assert "DKIM_NOT_FOUND" in codes(issues)


def test_invalid_selector_is_reported(client):
    _result, issues = run(check_dkim(client, "example.com", ["bad selector!"], ()))
    assert "DKIM_INVALID_SELECTOR" in codes(issues)
