"""When a failed delivery is tried again: a schedule like Svix's, with jitter, honouring
Retry-After. Pure: no I/O, the random source is an argument."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

# Seconds before each attempt of a round: the first at once, then 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h and 10 h: eight attempts over about 27.6 hours.
SCHEDULE: tuple[int, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
JITTER = 0.1
# A Retry-After is honoured up to this long.
MAX_RETRY_AFTER = 86400.0


def next_attempt(
    now: datetime, attempts_done: int, retry_after: float | None = None, rng: random.Random | None = None
) -> datetime | None:
    """When to try again after `attempts_done` failed attempts of this round; None when the
    schedule is exhausted. Delays get ±10% jitter; a Retry-After longer than the delay wins."""
    if attempts_done >= len(SCHEDULE):
        return None
    delay = SCHEDULE[attempts_done] * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return now + timedelta(seconds=delay)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP-date, RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
