"""The limiter: per-organization plan limits and per-address failed authentications.

Counting is a moving window: in this process's memory (ratelimit.memory, one process) or
in the `limits` package's Redis storage (shared by every process using the same Redis and
key prefix).
When the store fails the limiter fails open: requests are admitted, the outage is
logged once, and the store is left alone for a short back-off so a dead Redis costs
one quick failure per back-off rather than a timeout per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, cast

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from sentinel.ratelimit.addresses import failure_bucket
from sentinel.ratelimit.memory import MemoryWindows
from sentinel.ratelimit.plans import FALLBACK_PLAN, PlanLimits, plan_limits
from sentinel.ratelimit.windows import Decision, WindowState, nearest_exhaustion
from sentinel.settings import Settings

log = logging.getLogger("sentinel.ratelimit")

T = TypeVar("T")

# Redis on the same network answers in well under a millisecond; anything slower is an
# outage, and failing open quickly beats holding every request for the client default.
REDIS_SOCKET_TIMEOUT = 0.25
DEFAULT_RETRY_INTERVAL = 2.0


class Limiter(Protocol):
    """What the web layer asks of a limiter."""

    def admit(self, organization_id: str, plan: str) -> Decision:
        """Charge one request to the organization's plan windows."""

    def authentication_window(self, address: str) -> Decision:
        """The address's failed-authentication window, without charging it."""

    def authentication_failed(self, address: str) -> Decision:
        """Charge one failed authentication to the address."""


class RateLimiter:
    """Counts requests per organization (all its tokens together) and failed authentications per address."""

    def __init__(
        self,
        storage: Storage | MemoryWindows,
        plans: Mapping[str, PlanLimits],
        auth_failures_per_minute: int,
        *,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.storage = storage
        self._strategy: MovingWindowRateLimiter | MemoryWindows = (
            storage if isinstance(storage, MemoryWindows) else MovingWindowRateLimiter(storage)
        )
        self._windows = {plan: limits.windows() for plan, limits in plans.items()}
        self._auth = RateLimitItemPerMinute(auth_failures_per_minute)
        self._retry_interval = retry_interval
        self._wall = wall
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0

    def close(self) -> None:
        """Release the store's connections (Redis); the memory store has none."""
        connection = getattr(self.storage, "storage", None)
        pool = getattr(connection, "connection_pool", None)
        if pool is not None:
            pool.disconnect()

    def windows_for(self, plan: str) -> tuple[RateLimitItem, ...]:
        return self._windows.get(plan) or self._windows[FALLBACK_PLAN]

    def admit(self, organization_id: str, plan: str) -> Decision:
        """Charge one request to every window of the plan, shortest first.

        A refused request is not counted in the window that refused it (the moving
        window only records admitted hits), and charging stops there, so hammering
        while limited never eats into the daily allowance.
        """
        windows = self.windows_for(plan)
        states: list[WindowState] = []
        for item in windows:
            admitted = self._hit(item, "org", organization_id)
            state = self._state(item, "org", organization_id)
            if admitted is None or state is None:
                return self._open(windows)
            if not admitted:
                return self._refused(state)
            states.append(state)
        return Decision(True, nearest_exhaustion(states))

    def authentication_window(self, address: str) -> Decision:
        """The address's failed-authentication window; refused when it is used up."""
        state = self._state(self._auth, "auth", failure_bucket(address))
        if state is None:
            return self._open((self._auth,))
        return self._refused(state) if state.remaining == 0 else Decision(True, state)

    def authentication_failed(self, address: str) -> Decision:
        """Charge one failed authentication; refused when the address had none left."""
        bucket = failure_bucket(address)
        admitted = self._hit(self._auth, "auth", bucket)
        state = self._state(self._auth, "auth", bucket)
        if admitted is None or state is None:
            return self._open((self._auth,))
        return Decision(True, state) if admitted else self._refused(state)

    def _hit(self, item: RateLimitItem, *identifiers: str) -> bool | None:
        return self._guarded(lambda: self._strategy.hit(item, *identifiers))

    def _state(self, item: RateLimitItem, *identifiers: str) -> WindowState | None:
        stats = self._guarded(lambda: self._strategy.get_window_stats(item, *identifiers))
        if stats is None:
            return None
        return WindowState.of(item.amount, stats.remaining, stats.reset_time, self._wall())

    def _refused(self, state: WindowState) -> Decision:
        state = WindowState(state.limit, 0, state.reset)
        return Decision(False, state, state.retry_after(self._wall()))

    def _open(self, windows: tuple[RateLimitItem, ...]) -> Decision:
        # Nothing could be counted: report the tightest limit with nothing used.
        limit = min(item.amount for item in windows)
        return Decision(True, WindowState(limit, limit, self._wall()))

    def _guarded(self, call: Callable[[], T]) -> T | None:
        """Run a store call; None when the store is down (now or within the back-off)."""
        if self._down_since is not None and self._monotonic() < self._retry_at:
            return None
        try:
            result = call()
        except (StorageError, OSError) as exc:
            self._mark_down(exc)
            return None
        if self._down_since is not None:
            self._mark_up()
        return result

    def _mark_down(self, exc: Exception) -> None:
        with self._lock:
            now = self._monotonic()
            self._retry_at = now + self._retry_interval
            if self._down_since is None:
                self._down_since = now
                cause = getattr(exc, "storage_error", exc)
                log.warning("rate-limit store unreachable, admitting requests uncounted: %s", cause)

    def _mark_up(self) -> None:
        with self._lock:
            if self._down_since is not None:
                down_for = self._monotonic() - self._down_since
                self._down_since = None
                log.warning("rate-limit store reachable again after %.1f s; counting resumed", down_for)


class Unlimited:
    """A limiter that admits everything (benchmarks measure the server without one)."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self._limit = limit

    def _decision(self) -> Decision:
        return Decision(True, WindowState(self._limit, self._limit, time.time()))

    def admit(self, organization_id: str, plan: str) -> Decision:
        return self._decision()

    def authentication_window(self, address: str) -> Decision:
        return self._decision()

    def authentication_failed(self, address: str) -> Decision:
        return self._decision()


def build_storage(settings: Settings) -> Storage | MemoryWindows:
    """Redis storage when a Redis URL is configured, otherwise this process's memory.

    Raises ValidationError (from Settings) or limits.errors.ConfigurationError for an unusable URL.
    """
    if not settings.redis_url:
        return MemoryWindows()
    from redis import ConnectionPool
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # No client-side retries: the limiter's back-off decides when to try the store again.
    options: dict[str, Any] = {
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        "retry": Retry(NoBackoff(), 0),
    }
    pool = ConnectionPool.from_url(settings.redis_url, **options)
    return RedisStorage(
        settings.redis_url,
        connection_pool=cast(Any, pool),
        key_prefix=f"{settings.redis_key_prefix}:ratelimit",
        wrap_exceptions=True,
    )


def build_limiter(
    settings: Settings,
    *,
    storage: Storage | MemoryWindows | None = None,
    retry_interval: float = DEFAULT_RETRY_INTERVAL,
) -> RateLimiter:
    """The limiter the settings describe. Raises ValidationError for bad plan overrides."""
    return RateLimiter(
        storage if storage is not None else build_storage(settings),
        plan_limits(settings.rate_limits),
        settings.auth_failures_per_minute,
        retry_interval=retry_interval,
    )
