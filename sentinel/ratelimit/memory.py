"""Moving windows counted in this process's memory, for a limiter that is one process.

The same moving-window answers as the `limits` package's MemoryStorage (a hit is admitted
while fewer than `limit` hits are younger than the window; the window's start is its
oldest counted hit), without its costs on the request path: that storage inserts each
hit at the front of a list (O(n) in the hits held) and starts a new `threading.Timer`
thread every 10 ms to expire them. Here each key is a deque of hit times, oldest first,
trimmed on use: a hit or a look-up is amortised O(1), and nothing runs in the background.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from limits import RateLimitItem
from limits.util import WindowStats

# Keys untouched this long are dropped on the next sweep (the longest window is a day).
_SWEEP_EVERY = 10_000


class MemoryWindows:
    """Moving-window counters by key; safe to share between threads.

    Offers the two calls the limiter makes of a `limits` strategy (`hit`,
    `get_window_stats`), so either can count.
    """

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def _window(self, key: str, expiry: int, now: float) -> deque[float]:
        """The key's hits younger than `expiry` seconds (older ones dropped). Caller holds the lock."""
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        cutoff = now - expiry
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        """Count `cost` hits if the window has room for them; whether it had."""
        key, limit, expiry = item.key_for(*identifiers), item.amount, item.get_expiry()
        if cost > limit:
            return False
        with self._lock:
            now = self._wall()
            hits = self._window(key, expiry, now)
            if len(hits) + cost > limit:
                return False
            hits.extend([now] * cost)
            self._calls += 1
            if self._calls % _SWEEP_EVERY == 0:
                self._sweep(now)
            return True

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """(reset time, remaining): the window frees up when its oldest hit leaves it."""
        key, expiry = item.key_for(*identifiers), item.get_expiry()
        with self._lock:
            now = self._wall()
            hits = self._hits.get(key)
            if hits is None:
                return WindowStats(now + expiry, item.amount)
            hits = self._window(key, expiry, now)
            start = hits[0] if hits else now
            return WindowStats(start + expiry, item.amount - len(hits))

    def _sweep(self, now: float) -> None:
        """Drop keys whose newest hit is older than a day, so idle callers cost no memory."""
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - 86_400]:
            del self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
