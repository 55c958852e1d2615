"""When scheduled rescans fall due. Pure logic."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta


def spread(domain_id: str, interval_hours: int) -> timedelta:
    """A stable offset within one interval, different per domain, so that domains verified
    (or migrated) together are rescanned at different times rather than in one burst."""
    seconds = max(1, interval_hours) * 3600
    return timedelta(seconds=int(hashlib.sha256(domain_id.encode()).hexdigest()[:12], 16) % seconds)


def first_scan_at(domain_id: str, start: datetime, interval_hours: int) -> datetime | None:
    """The first scheduled rescan of a domain monitored from `start`; None when rescans are off."""
    if interval_hours <= 0:
        return None
    return start + spread(domain_id, interval_hours)
