"""Values cached per process and kept exact across processes by version counters.

A cached value is stored with the versions (rows of cache_generations) of everything it was
computed from, read before it was computed; a reader reads the versions again and takes the
value only when they are unchanged, so a change committed anywhere (another instance, the
worker, the CLI, SQL by hand) is seen on the next read. The counters are bumped in the
database itself, by triggers, in the writing transaction (migration 0010 for domains): no
writer can forget to. One small query per read instead of the computation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from sentinel.store.db import Database
from sentinel.store.models import CacheGeneration

T = TypeVar("T")


def domains_version(organization_id: str) -> str:
    """The counter of one organization's domains (bumped by the triggers of migration 0010)."""
    return f"domains:{organization_id}"


class Shared(dict[str, Any]):
    """A value handed to every reader of a cache entry: never mutated after it is cached.
    Layers above may keep what they derive from it (its rendering) in `derived`."""

    __slots__ = ("derived",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.derived: Any = None


class VersionedCache(Generic[T]):
    """At most `size` values, least recently used dropped first (0: none, every value computed)."""

    def __init__(self, db: Database, size: int = 256) -> None:
        self.db = db
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[tuple[int, ...], T]] = OrderedDict()
        self._lock = threading.Lock()
        self._sql: dict[int, str] = {}

    def versions(self, names: Sequence[str]) -> tuple[int, ...]:
        """The counters `names` now, in that order; 0 for a counter never bumped."""
        sql = self._sql.get(len(names))
        if sql is None:
            marks = ", ".join("?" * len(names))
            table = CacheGeneration.__tablename__
            sql = self._sql[len(names)] = f"SELECT name, value FROM {table} WHERE name IN ({marks})"
        found = dict(self.db.read_rows(sql, names))
        return tuple(int(found.get(name, 0)) for name in names)

    def get(self, key: Hashable, names: Sequence[str], compute: Callable[[], T]) -> T:
        """The value for `key`, computed from data whose every change bumps one of `names`."""
        if not self.size:
            return compute()
        versions = self.versions(names)  # before computing: a change racing it misses next time
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == versions:
                self._entries.move_to_end(key)
                return entry[1]
        value = compute()
        with self._lock:
            self._entries[key] = (versions, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value
