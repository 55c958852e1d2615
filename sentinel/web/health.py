"""The database half of GET /health: a ping that never queues behind requests.

The ping runs on a thread of its own over a connection of its own (Database.ping), and
concurrent health checks share the ping in flight instead of starting more; a ping that
takes longer than the timeout answers "unavailable" at once while it finishes.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sentinel.errors import ServiceUnavailable
from sentinel.store.db import Database

log = logging.getLogger("sentinel.web")


class HealthProbe:
    def __init__(self, db: Database, timeout: float) -> None:
        self.db = db
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentinel-health")
        self._pending: asyncio.Future[float] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def database(self) -> tuple[bool, dict[str, Any]]:
        """(reachable, the `database` object of the health answer)."""
        loop = asyncio.get_running_loop()
        if self._pending is None or self._pending.done() or self._loop is not loop:
            self._loop = loop
            self._pending = loop.run_in_executor(self._executor, self.db.ping)
        try:
            latency = await asyncio.wait_for(asyncio.shield(self._pending), self.timeout)
        except TimeoutError:
            return False, {"status": "unavailable", "error": f"The database did not answer within {self.timeout:g} s."}
        except ServiceUnavailable as exc:
            return False, {"status": "unavailable", "error": exc.message}
        except Exception as exc:  # a health check reports; it never fails with a 500
            log.exception("health check failed")
            return False, {"status": "unavailable", "error": f"The database check failed: {type(exc).__name__}."}
        return True, {"status": "ok", "latencyMs": round(latency, 3)}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
