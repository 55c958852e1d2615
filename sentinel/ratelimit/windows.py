"""Window maths for the headers: which window is nearest exhaustion, and when to retry.

Counting itself is the `limits` package's job; this only turns its answers into what
the API reports. Pure logic: the current time is an argument.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowState:
    """One window as the caller sees it: its limit, what is left, and when it next frees up.

    ``reset`` is Unix seconds: with a moving window, the moment the oldest counted request
    leaves the window (the earliest time ``remaining`` grows).
    """

    limit: int
    remaining: int
    reset: float

    @classmethod
    def of(cls, limit: int, remaining: int, reset: float, now: float) -> WindowState:
        """Clamp the store's answer: never negative, never a reset in the past."""
        remaining = max(0, min(limit, remaining))
        # An untouched window has nothing to wait for; the store may report a stale start.
        return cls(limit, remaining, now if remaining == limit else max(reset, now))

    def reset_seconds(self) -> int:
        return math.ceil(self.reset)

    def retry_after(self, now: float) -> int:
        """Whole seconds until a request can be admitted again (at least 1)."""
        return max(1, math.ceil(self.reset - now))


@dataclass(frozen=True)
class Decision:
    """Whether a request is admitted, and the window to report in the headers."""

    allowed: bool
    window: WindowState
    retry_after: int | None = None


def nearest_exhaustion(windows: Iterable[WindowState]) -> WindowState:
    """The window with the fewest requests left; on a tie the one that resets last.

    Raises ValueError when there are no windows.
    """
    # The later reset wins a tie because that window is the one that binds longer.
    return min(windows, key=lambda w: (w.remaining, -w.reset))
