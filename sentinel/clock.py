"""Time and identifiers as ports, so the mock can fix them and tests can move them."""

from __future__ import annotations

import itertools
import secrets
import string
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

_ALPHABET = string.ascii_letters + string.digits


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told; starts at a fixed instant."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = instant.astimezone(UTC)


class IdGenerator(Protocol):
    def new(self, prefix: str) -> str: ...

    def secret(self, nbytes_chars: int) -> str: ...


class RandomIds:
    """Opaque random identifiers: prefix + 22 base62 characters (~131 bits)."""

    def new(self, prefix: str) -> str:
        return f"{prefix}_{random_text(22)}"

    def secret(self, nbytes_chars: int) -> str:
        return random_text(nbytes_chars)


class SequentialIds:
    """Deterministic identifiers for the mock: same seed, same IDs on every start."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        with self._lock:
            n = next(self._counters.setdefault(prefix, itertools.count(1)))
        return f"{prefix}_{n:022d}"

    def secret(self, nbytes_chars: int) -> str:
        with self._lock:
            n = next(self._counters.setdefault("secret", itertools.count(1)))
        return f"{n:0{nbytes_chars}d}"

    def reset(self) -> None:
        """Start every counter again from 1 (the mock's reset to its seed)."""
        with self._lock:
            self._counters.clear()


def random_text(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def isoformat(instant: datetime | None) -> str | None:
    """RFC 3339 UTC with a 'Z', as the API writes every time; None stays None."""
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
