"""The database half of GET /health: an answer that never waits behind load.

The ping runs on a thread of its own over a connection of its own (Database.ping), and
concurrent health checks share the ping in flight instead of starting more. Its outcome
is remembered: a check within FRESH seconds of the last ping answers with it at once, one
within STALE seconds answers with it too and starts a new ping in the background, and
only an older outcome (or none) is waited for, at most `timeout` seconds. So a load
balancer polling /health measures the server, not the database's queue under load, and a
database that stops answering shows within STALE + timeout seconds.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sentinel.errors import ServiceUnavailable
from sentinel.store.db import Database

log = logging.getLogger("sentinel.web")

FRESH = 0.5
STALE = 2.0

Outcome = tuple[bool, dict[str, Any]]


class HealthProbe:
    def __init__(self, db: Database, timeout: float) -> None:
        self.db = db
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentinel-health")
        self._pending: asyncio.Future[float] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last: Outcome | None = None
        self._last_at = 0.0

    async def database(self) -> Outcome:
        """(reachable, the `database` object of the health answer)."""
        loop = asyncio.get_running_loop()
        age = loop.time() - self._last_at
        if self._last is not None and self._loop is loop and age < STALE:
            if age >= FRESH:
                self._ping(loop)
            return self._last
        try:
            latency = await asyncio.wait_for(asyncio.shield(self._ping(loop)), self.timeout)
        except TimeoutError:
            return False, {"status": "unavailable", "error": f"The database did not answer within {self.timeout:g} s."}
        except Exception as exc:
            # Already logged, once, by _remember as the ping ended.
            return _failed(exc, log_it=False)
        return True, {"status": "ok", "latencyMs": round(latency, 3)}

    def _ping(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[float]:
        """The ping in flight, or a new one whose outcome is remembered when it ends."""
        if self._pending is None or self._pending.done() or self._loop is not loop:
            self._loop = loop
            self._pending = loop.run_in_executor(self._executor, self.db.ping)
            self._pending.add_done_callback(self._remember)
        return self._pending

    def _remember(self, done: asyncio.Future[float]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        self._last = _failed(error) if error else (True, {"status": "ok", "latencyMs": round(done.result(), 3)})
        self._last_at = done.get_loop().time()

    def warm(self) -> None:
        """Start the ping's thread and open its connection before the first check (start-up):
        then the first /health waits for one round trip only. Raises what the ping raises."""
        self._executor.submit(self.db.ping).result(self.timeout + 5)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _failed(exc: BaseException, log_it: bool = True) -> Outcome:
    if isinstance(exc, ServiceUnavailable):
        return False, {"status": "unavailable", "error": exc.message}
    # A health check reports; it never fails with a 500.
    if log_it:
        log.error("health check failed: %s", type(exc).__name__, exc_info=exc)
    return False, {"status": "unavailable", "error": f"The database check failed: {type(exc).__name__}."}
