"""The outbound-address policy over every special-purpose range (pure: no connection)."""

from __future__ import annotations

import pytest

from sentinel.errors import ValidationError
from sentinel.net import AddressPolicy, is_allowed

LOOPBACK = ["127.0.0.0/8", "::1/128"]

# (address, words the reason must contain). Each is refused with the default (empty)
# allow list *and* with loopback allowed, as the tests' servers run.
REFUSED = [
    ("0.0.0.0", "this network"),
    ("0.1.2.3", "this network"),
    ("10.0.0.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("169.254.169.254", "link-local"),  # the cloud metadata endpoint
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.1", "IETF protocol assignments"),
    ("192.0.0.9", "IETF protocol assignments"),
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "6to4 relay"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("::", "unspecified"),
    ("100::1", "discard-only"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID"),
    ("2001:20::1", "ORCHIDv2"),
    ("2001:1::1", "IETF protocol assignments"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("5f00::1", "SRv6"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("4000::1", "outside the global unicast space"),
    ("1::1", "outside the global unicast space"),
    # Forms that embed an IPv4 address: refused whatever the IPv4 address is.
    ("::ffff:127.0.0.1", "IPv4-mapped address (RFC 4291 §2.5.5.2) embedding 127.0.0.1"),
    ("::ffff:10.0.0.1", "IPv4-mapped address (RFC 4291 §2.5.5.2) embedding 10.0.0.1"),
    ("::ffff:8.8.8.8", "IPv4-mapped address (RFC 4291 §2.5.5.2) embedding 8.8.8.8"),
    ("::ffff:0:127.0.0.1", "IPv4-translated address (RFC 2765) embedding 127.0.0.1"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::8.8.8.8", "IPv4-compatible"),
    ("64:ff9b::7f00:1", "NAT64 address (RFC 6052) embedding 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 address (RFC 6052) embedding 169.254.169.254"),
    ("64:ff9b::808:808", "NAT64 address (RFC 6052) embedding 8.8.8.8"),
    ("64:ff9b:1::7f00:1", "local-use NAT64"),
    ("2002:7f00:1::1", "6to4 address (RFC 3056) embedding 127.0.0.1"),
    ("2002:c0a8:101::1", "6to4 address (RFC 3056) embedding 192.168.1.1"),
    ("2002:808:808::1", "6to4 address (RFC 3056) embedding 8.8.8.8"),
    # Teredo stores the client bit-inverted: 80ff:fffe is 127.0.0.1 obfuscated.
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo address (RFC 4380) embedding 127.0.0.1"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo address (RFC 4380) embedding 192.0.2.45"),
    # Not addresses at all, or scoped.
    ("fe80::1%eth0", "scoped"),
    ("mta-sts.example.com", "not an IP address"),
    ("", "not an IP address"),
]

PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "192.0.1.1", "192.0.3.1", "100.63.255.255",
          "100.128.0.1", "172.32.0.1", "198.17.255.255", "198.20.0.1", "223.255.255.255",
          "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888"]


@pytest.mark.parametrize(("address", "words"), REFUSED)
@pytest.mark.parametrize("allow", [[], LOOPBACK], ids=["default", "loopback-allowed"])
def test_refused(address, words, allow):
    verdict = is_allowed(address, allow)
    assert not verdict.allowed and not verdict
    assert words in verdict.reason, verdict.reason


@pytest.mark.parametrize("address", ["127.0.0.1", "127.1.2.3", "::1"])
def test_loopback_refused_unless_listed(address):
    assert not is_allowed(address)
    assert "loopback" in is_allowed(address).reason
    verdict = is_allowed(address, LOOPBACK)
    assert verdict.allowed and "allowed network" in verdict.reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_allowed(address):
    verdict = is_allowed(address)
    assert verdict.allowed, verdict.reason
    assert verdict.reason.endswith("is a public address")


def test_listing_a_translation_prefix_still_vets_the_embedded_address():
    """An operator behind NAT64 lists 64:ff9b::/96; the IPv4 inside must pass on its own."""
    policy = AddressPolicy(["64:ff9b::/96"])
    assert policy.check("64:ff9b::808:808").allowed
    refused = policy.check("64:ff9b::7f00:1")
    assert not refused and "embedding 127.0.0.1, which is refused" in refused.reason
    assert "loopback" in refused.reason
    assert not policy.check("64:ff9b::a00:1")  # 10.0.0.1
    six = AddressPolicy(["2002::/16"])
    assert six.check("2002:808:808::1").allowed
    assert not six.check("2002:c0a8:101::1")
    # Listing both the prefix and the inner network is an explicit, deliberate choice.
    assert AddressPolicy(["64:ff9b::/96", "127.0.0.0/8"]).check("64:ff9b::7f00:1").allowed


def test_allow_list_is_by_family_and_exact_network():
    assert not is_allowed("10.0.0.1", ["127.0.0.0/8"])
    assert is_allowed("10.1.2.3", ["10.0.0.0/8"]).allowed
    # A listed IPv4 network never admits the IPv6 forms of its addresses.
    assert not is_allowed("::ffff:10.1.2.3", ["10.0.0.0/8"])
    assert not is_allowed("64:ff9b::a01:203", ["10.0.0.0/8"])


def test_bad_allow_list_entry_is_a_validation_error():
    with pytest.raises(ValidationError, match="not an IP network"):
        AddressPolicy(["127.0.0.0/8", "localhost"])


def test_settings_reject_an_allow_list_entry_that_is_no_network():
    from sentinel.settings import Settings

    with pytest.raises(ValidationError, match="'bogus' is not an IP network"):
        Settings.from_env({"MAILSENTINEL_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8,bogus"})
    settings = Settings.from_env({"MAILSENTINEL_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8, ::1"})
    assert settings.allowed_target_networks == ("127.0.0.0/8", "::1")
