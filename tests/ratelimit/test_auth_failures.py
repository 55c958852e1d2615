"""Failed authentication is limited per client address; X-Forwarded-For counts only from trusted proxies."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.ratelimit.conftest import Instance
from tests.ratelimit.helpers import refused, window
from tests.support.api import error_of


def test_every_kind_of_failure_counts_and_then_even_valid_tokens_wait(
    start_server: Callable[..., Instance],
) -> None:
    server = start_server(auth_failures_per_minute=5)
    tenant = server.tenant("enterprise")
    revoked = tenant.data(tenant.post("/api/tokens", json={"name": "old"}), 201)["token"]
    tenant.data(tenant.delete(f"/api/tokens/{revoked['id']}"))
    attempts = [
        {},  # missing
        {"Authorization": "Bearer"},  # malformed header
        {"Authorization": "Bearer not-a-mailsentinel-token"},  # malformed token
        {"Authorization": "Bearer ms_live_" + "x" * 40},  # unknown
        {"Authorization": f"Bearer {revoked['token']}"},  # revoked
    ]
    with httpx.Client(base_url=server.url, timeout=60) as anonymous:
        for i, headers in enumerate(attempts):
            r = anonymous.get("/api/me", headers=headers)
            error_of(r, 401, "UNAUTHORIZED")
            assert window(r)[:2] == (5, 4 - i)
        # Out of attempts: refused before the token is even looked up, valid or not.
        refused(anonymous.get("/api/me", headers={"Authorization": "Bearer ms_live_" + "y" * 40}))
        assert refused(tenant.get("/api/me")) <= 60
        # Requests without any token are refused the same way.
        refused(anonymous.get("/api/domains"))


def test_successful_requests_do_not_count_as_failures(start_server: Callable[..., Instance]) -> None:
    server = start_server(auth_failures_per_minute=2)
    tenant = server.tenant("enterprise")
    for _ in range(5):
        assert tenant.get("/api/me").status_code == 200
    with httpx.Client(base_url=server.url, timeout=60) as anonymous:
        r = anonymous.get("/api/me")
        error_of(r, 401, "UNAUTHORIZED")
        assert window(r)[:2] == (2, 1)


def test_forwarded_for_is_believed_from_a_trusted_proxy(start_server: Callable[..., Instance]) -> None:
    server = start_server(auth_failures_per_minute=3, trusted_proxies=("127.0.0.0/8",))
    with httpx.Client(base_url=server.url, timeout=60) as proxy:
        first = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(3):
            error_of(proxy.get("/api/me", headers=first), 401, "UNAUTHORIZED")
        refused(proxy.get("/api/me", headers=first))
        # Hops our own proxies added are skipped: the client is the last untrusted address.
        refused(proxy.get("/api/me", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7, 127.0.0.2"}))
        # Another client behind the same proxy has its own window.
        r = proxy.get("/api/me", headers={"X-Forwarded-For": "198.51.100.8"})
        error_of(r, 401, "UNAUTHORIZED")
        assert window(r)[:2] == (3, 2)


def test_forwarded_for_is_ignored_from_an_untrusted_peer(start_server: Callable[..., Instance]) -> None:
    server = start_server(auth_failures_per_minute=3, trusted_proxies=("192.0.2.1",))
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for i in range(3):
            # A client inventing a new address each time does not get new attempts.
            r = client.get("/api/me", headers={"X-Forwarded-For": f"198.51.100.{i}"})
            error_of(r, 401, "UNAUTHORIZED")
            assert window(r)[:2] == (3, 2 - i)
        refused(client.get("/api/me", headers={"X-Forwarded-For": "198.51.100.99"}))


def test_an_ipv6_slash_64_is_one_client(start_server: Callable[..., Instance]) -> None:
    server = start_server(auth_failures_per_minute=3, trusted_proxies=("127.0.0.0/8",))
    with httpx.Client(base_url=server.url) as proxy:
        # A client rotating through its own /64 (privacy addresses) does not get new attempts.
        for i in range(3):
            r = proxy.get("/api/me", headers={"X-Forwarded-For": f"2001:db8:1:2::{i + 1:x}"})
            error_of(r, 401, "UNAUTHORIZED")
            assert window(r)[:2] == (3, 2 - i)
        refused(proxy.get("/api/me", headers={"X-Forwarded-For": "2001:db8:1:2:ffff:ffff:ffff:ffff"}))
        # The neighbouring /64 is another client.
        r = proxy.get("/api/me", headers={"X-Forwarded-For": "2001:db8:1:3::1"})
        error_of(r, 401, "UNAUTHORIZED")
        assert window(r)[:2] == (3, 2)
        # An IPv4-mapped address is its IPv4 address.
        for _ in range(3):
            error_of(proxy.get("/api/me", headers={"X-Forwarded-For": "198.51.100.20"}), 401, "UNAUTHORIZED")
        refused(proxy.get("/api/me", headers={"X-Forwarded-For": "::ffff:198.51.100.20"}))
