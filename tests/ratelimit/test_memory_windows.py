"""The in-memory window store answers as the `limits` moving window it replaced, and frees up as time passes."""

from __future__ import annotations

import random
from unittest import mock

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from sentinel.ratelimit.memory import MemoryWindows


class Wall:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_same_answers_as_the_limits_memory_storage() -> None:
    wall = Wall(1_000_000.0)
    ours = MemoryWindows(wall)
    reference = MovingWindowRateLimiter(MemoryStorage())
    item = RateLimitItemPerSecond(5, 2)  # 5 per 2 seconds
    rng = random.Random(7)
    with mock.patch("time.time", wall):
        for _ in range(400):
            wall.now += rng.choice([0.0, 0.01, 0.1, 0.3, 0.7, 2.5])
            key = rng.choice(["a", "b"])
            if rng.random() < 0.7:
                assert ours.hit(item, key) == reference.hit(item, key)
            stats, expected = ours.get_window_stats(item, key), reference.get_window_stats(item, key)
            assert stats.remaining == expected.remaining
            if expected.remaining < item.amount:  # an empty window's reset is stale there (WindowState.of)
                assert abs(stats.reset_time - expected.reset_time) < 1e-6


def test_refused_hits_are_not_counted_and_the_window_frees_up() -> None:
    wall = Wall(500.0)
    windows = MemoryWindows(wall)
    item = RateLimitItemPerMinute(3)
    assert [windows.hit(item, "org") for _ in range(5)] == [True, True, True, False, False]
    assert windows.get_window_stats(item, "org").remaining == 0
    assert windows.get_window_stats(item, "org").reset_time == 560.0
    wall.now = 559.9
    assert not windows.hit(item, "org")
    wall.now = 560.0
    assert windows.get_window_stats(item, "org").remaining == 3
    assert windows.hit(item, "org")
    assert windows.get_window_stats(item, "other").remaining == 3
    assert not windows.hit(item, "org", cost=4)
