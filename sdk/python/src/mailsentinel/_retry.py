"""When to retry and how long to wait: pure functions of the answer, the attempt and the clock.

Retried: 429 (the request did nothing), 408, 5xx and transport failures. A 5xx or a failure
after the request may have reached the server is retried only when repeating it is harmless:
an idempotent method (GET, HEAD, OPTIONS, PUT, DELETE), a request carrying an `Idempotency-Key`,
or an operation the SDK knows to be safe to repeat (a report upload: the server stores a report once).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Callable, Optional

import httpx

from ._errors import parse_retry_after

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
# A per-minute window asks for up to a minute; a server asking for longer than two (a daily limit
# used up) is not waited for: the error is raised at once, with its retry_after.
MAX_SERVER_WAIT = 120.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


def repeatable(method: str, headers: Mapping[str, str], safe: Optional[bool] = None) -> bool:
    """Whether sending the request twice does no more than sending it once."""
    if safe is not None:
        return safe
    return method.upper() in IDEMPOTENT_METHODS or IDEMPOTENCY_HEADER.lower() in {k.lower() for k in headers}


def should_retry_status(status: int, is_repeatable: bool) -> bool:
    if status in (408, 429):
        return True
    return status >= 500 and is_repeatable


def should_retry_error(error: httpx.TransportError, is_repeatable: bool) -> bool:
    # A connection that never opened cannot have reached the server.
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
        return True
    return is_repeatable


def backoff(retry: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff for the n-th retry (0-based): 0.5 s doubling, capped at 8 s, minus up to 25 % jitter."""
    base = min(INITIAL_BACKOFF * (2.0**retry), MAX_BACKOFF)
    return base * (1.0 - 0.25 * rand())


def server_wait(status: Optional[int], headers: Mapping[str, str], now: float) -> Optional[float]:
    """What the server asked for: Retry-After, else (on a 429) the X-RateLimit-Reset instant."""
    wait = parse_retry_after(headers)
    if wait is not None:
        return wait
    if status == 429:
        reset = headers.get("x-ratelimit-reset")
        if reset is not None:
            try:
                return max(float(reset) - now, 0.0)
            except ValueError:
                return None
    return None


def retry_wait(
    retry: int,
    status: Optional[int],
    headers: Mapping[str, str],
    now: float,
    rand: Callable[[], float] = random.random,
) -> Optional[float]:
    """Seconds to wait before retry number `retry` (0-based), or None when the server wants longer
    than MAX_SERVER_WAIT (then the caller gets the error now, with its retry_after)."""
    wait = server_wait(status, headers, now)
    if wait is None:
        return backoff(retry, rand)
    if wait > MAX_SERVER_WAIT:
        return None
    return wait
