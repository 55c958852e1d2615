"""Time and identifiers as ports, so the mock can fix them and tests can move them."""

from __future__ import annotations

import itertools
import re
import secrets
import string
import threading
from datetime import UTC, datetime, timedelta, timezone
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
        self._reserved: dict[str, str] = {}
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        with self._lock:
            if prefix in self._reserved:
                return self._reserved.pop(prefix)
            n = next(self._counters.setdefault(prefix, itertools.count(1)))
        return f"{prefix}_{n:022d}"

    def reserve(self, prefix: str, value: str) -> None:
        """Make the next `new(prefix)` answer `value` (a seed naming its organization's id)."""
        with self._lock:
            self._reserved[prefix] = value

    def secret(self, nbytes_chars: int) -> str:
        with self._lock:
            n = next(self._counters.setdefault("secret", itertools.count(1)))
        return f"{n:0{nbytes_chars}d}"

    def reset(self) -> None:
        """Start every counter again from 1 (the mock's reset to its seed)."""
        with self._lock:
            self._counters.clear()
            self._reserved.clear()


def random_text(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def isoformat(instant: datetime | None) -> str | None:
    """RFC 3339 UTC with a 'Z', as the API writes every time; None stays None."""
    if instant is None:
        return None
    if instant.tzinfo is UTC:  # what the database gives back: no conversion needed
        return instant.isoformat()[:-6] + "Z"
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def stored_isoformat(value: datetime | str | None) -> str | None:
    """`isoformat` of a time column read without its type's processing (lists do that, 150
    times a page): SQLite gives back its stored text, naive UTC `YYYY-MM-DD HH:MM:SS.ffffff`,
    rewritten here as `isoformat` would write the datetime; other databases give datetimes."""
    if value is None or not isinstance(value, str):
        return isoformat(value)
    fraction = value[19:]
    return f"{value[:10]}T{value[11:19]}{'' if fraction in ('', '.000000') else fraction}Z"


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_instant(text: str) -> datetime:
    """An RFC 3339 §5.6 date-time (either case of T and Z) as an aware UTC datetime.

    Fractions beyond microseconds are dropped. Raises ValueError when `text` is not
    such a date-time, or names an instant outside years 1 to 9999 once in UTC.
    """
    match = _RFC3339.fullmatch(text)
    if not match:
        raise ValueError(f"{text[:40]!r} is not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if match.group(9):
        if int(match.group(10)) > 23 or int(match.group(11)) > 59:
            raise ValueError(f"{text[:40]!r} has an impossible UTC offset")
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        offset = -offset if match.group(9) == "-" else offset
    try:
        local = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset))
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a real date and time") from None
    try:
        return local.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text[:40]!r} is outside years 0001 to 9999 once in UTC") from None
