"""The pure parts: the retry schedule, Retry-After, secrets and their encryption at rest."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from sentinel.errors import ServiceUnavailable
from sentinel.events.schedule import SCHEDULE, next_attempt, parse_retry_after
from sentinel.events.secrets import SecretBox, box_for
from sentinel.events.signing import is_secret, new_secret, signed_headers

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def test_the_schedule_is_svix_like_with_jitter() -> None:
    assert SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    rng = random.Random(1)
    for done, base in enumerate(SCHEDULE):
        delays = {(next_attempt(NOW, done, rng=rng) - NOW).total_seconds() for _ in range(50)}  # type: ignore[operator]
        assert all(base * 0.9 <= d <= base * 1.1 for d in delays)
        assert base == 0 or len(delays) > 1
    assert next_attempt(NOW, len(SCHEDULE)) is None


def test_a_longer_retry_after_wins_and_is_capped() -> None:
    assert next_attempt(NOW, 1, retry_after=600) == NOW + timedelta(seconds=600)
    assert next_attempt(NOW, 2, retry_after=1, rng=random.Random(2)) > NOW + timedelta(seconds=200)  # type: ignore[operator]
    assert next_attempt(NOW, 1, retry_after=10**9) == NOW + timedelta(days=1)
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Thu, 15 Jan 2026 10:02:00 GMT", NOW) == 120
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_secrets_and_signatures() -> None:
    secret = new_secret()
    assert is_secret(secret) and not is_secret("whsec_" + "QUJD") and not is_secret("abc")
    headers = dict(signed_headers("evt_1", "{}", [secret, new_secret()], NOW))
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert [s[:3] for s in headers["webhook-signature"].split(" ")] == ["v1,", "v1,"]


def test_secrets_are_encrypted_and_keys_can_be_replaced(tmp_path: object) -> None:
    old, new = "q0GJ1PKFd1rF0m8eBoIn4BVyBgXcXp1ZWcPzs8VcG0Y=", "hN1gN0ve0VbqIqmsZRWb0zvY0yXGjQ4kKXyVJyWq3nE="
    token = SecretBox([old]).encrypt("whsec_x")
    assert "whsec_x" not in token
    assert SecretBox([new, old]).decrypt(token) == "whsec_x"
    with pytest.raises(ServiceUnavailable, match="no longer listed"):
        SecretBox([new]).decrypt(token)
    with pytest.raises(ServiceUnavailable, match="MAILSENTINEL_WEBHOOK_SECRET_KEYS"):
        box_for((), "postgresql+psycopg://db/x", in_memory=False).encrypt("whsec_x")
