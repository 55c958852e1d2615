"""Plan overrides, window choice and client addresses: the pure parts."""

from __future__ import annotations

import pytest

from sentinel.errors import ValidationError
from sentinel.ratelimit import DEFAULT_PLANS, PlanLimits, WindowState, client_address, nearest_exhaustion, plan_limits
from sentinel.ratelimit.addresses import parse_proxies
from sentinel.settings import Settings


def test_default_plans_are_the_published_ones() -> None:
    assert {
        "free": PlanLimits(60, 1_000),
        "pro": PlanLimits(300, 10_000),
        "enterprise": PlanLimits(1_000, None),
    } == DEFAULT_PLANS
    assert [str(w) for w in DEFAULT_PLANS["free"].windows()] == ["60 per 1 minute", "1000 per 1 day"]
    assert len(DEFAULT_PLANS["enterprise"].windows()) == 1


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("free=600/10000", PlanLimits(600, 10_000)),
        ("PRO = 5 / 1_000", PlanLimits(5, 1_000)),
        ("enterprise=100000000/0", PlanLimits(100_000_000, None)),
        ("enterprise=10/unlimited", PlanLimits(10, None)),
        ("free=7", PlanLimits(7, None)),
    ],
)
def test_overrides(entry: str, expected: PlanLimits) -> None:
    plan = entry.split("=")[0].strip().lower()
    assert plan_limits([entry])[plan] == expected


@pytest.mark.parametrize("entry", ["gold=1/2", "free", "free=0/10", "free=x/10", "free=10/-5"])
def test_bad_overrides_are_refused(entry: str) -> None:
    with pytest.raises(ValidationError):
        plan_limits([entry])


def test_overrides_come_from_the_environment() -> None:
    settings = Settings.from_env({"MAILSENTINEL_RATE_LIMITS": "free=1/2, pro=3/4"})
    assert plan_limits(settings.rate_limits)["pro"] == PlanLimits(3, 4)


def test_nearest_exhaustion_prefers_fewest_remaining_then_latest_reset() -> None:
    minute = WindowState(60, 10, 1_000.0)
    day = WindowState(1_000, 5, 50_000.0)
    assert nearest_exhaustion([minute, day]) is day
    both_empty = [WindowState(60, 0, 1_000.0), WindowState(1_000, 0, 50_000.0)]
    assert nearest_exhaustion(both_empty).reset == 50_000.0


def test_window_state_is_clamped_and_retry_after_rounds_up() -> None:
    untouched = WindowState.of(60, 60, reset=10.0, now=500.0)
    assert untouched.reset == 500.0
    assert WindowState.of(60, -3, reset=560.2, now=500.0).remaining == 0
    assert WindowState(60, 0, 560.2).retry_after(now=500.0) == 61
    assert WindowState(60, 0, 500.0).retry_after(now=500.0) == 1


PROXIES = parse_proxies(("10.0.0.0/8", "::1"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # untrusted peer: header ignored
        ("10.1.2.3", "198.51.100.1", "198.51.100.1"),
        ("10.1.2.3", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),  # skip our proxies, not further
        ("::1", "2001:db8::7", "2001:db8::7"),
        ("10.1.2.3", "10.0.0.1, 10.0.0.2", "10.0.0.1"),  # only proxies: the leftmost
        ("10.1.2.3", "", "10.1.2.3"),
        (None, None, "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_bad_trusted_proxy_is_a_configuration_error() -> None:
    with pytest.raises(ValidationError):
        parse_proxies(("not-an-address",))


def test_failure_buckets() -> None:
    from sentinel.ratelimit.addresses import failure_bucket

    assert failure_bucket("2001:db8:1:2::7") == "2001:db8:1:2::/64"
    assert failure_bucket("2001:DB8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert failure_bucket("::ffff:192.0.2.1") == "192.0.2.1"
    assert failure_bucket("192.0.2.1") == "192.0.2.1"
    assert failure_bucket("unknown") == "unknown"
