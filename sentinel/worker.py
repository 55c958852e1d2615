"""The background worker: runs jobs that claim due work (webhook dispatch and deliveries;
scheduled scans and time-based alert rules join the list the composition root builds).

A job is anything with a ``name`` and ``run_once(now) -> int`` (how many items it handled).
The worker runs every job in turn and sleeps briefly only when none had work. A job that
raises is logged and tried again on the next round, so one failing job (a database outage)
never stops the others for good. ``mailsentinel worker`` runs one as its own process;
``mailsentinel serve`` (and the mock) run one on a thread (``BackgroundWorker``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sentinel.clock import Clock

log = logging.getLogger("sentinel.worker")

IDLE_SLEEP = 0.1
# After a job raised: wait this long before the next round.
ERROR_SLEEP = 1.0


class Job(Protocol):
    name: str

    def run_once(self, now: datetime) -> int: ...


class Worker:
    def __init__(self, jobs: Sequence[Job], clock: Clock, idle_sleep: float = IDLE_SLEEP) -> None:
        self.jobs = list(jobs)
        self.clock = clock
        self.idle_sleep = idle_sleep
        self._failing: set[str] = set()

    def run_once(self, counts: dict[str, int] | None = None) -> tuple[int, bool]:
        """One round over every job: (items handled, whether a job raised); adds each job's
        items to `counts` if given."""
        handled, failed = 0, False
        for job in self.jobs:
            try:
                items = job.run_once(self.clock.now())
                handled += items
                if counts is not None:
                    counts[job.name] = counts.get(job.name, 0) + items
            except Exception:
                failed = True
                if job.name not in self._failing:  # once per outage, not once per round
                    log.exception("job %s failed; retrying", job.name)
                self._failing.add(job.name)
            else:
                if job.name in self._failing:
                    log.info("job %s works again", job.name)
                self._failing.discard(job.name)
        return handled, failed

    def drain(self, max_rounds: int = 100) -> int:
        """Rounds until no job has work left (or `max_rounds`): what `--once` and the mock's
        clock do. Returns the items handled."""
        return sum(self.drain_by_job(max_rounds).values())

    def drain_by_job(self, max_rounds: int = 100) -> dict[str, int]:
        """`drain`, answering the items each job handled (every job named, 0 included)."""
        counts = {job.name: 0 for job in self.jobs}
        for _ in range(max_rounds):
            handled, _failed = self.run_once(counts)
            if not handled:
                break
        return counts

    def run(self, stop: threading.Event) -> None:
        """Loop until `stop` is set."""
        while not stop.is_set():
            handled, failed = self.run_once()
            if failed:
                stop.wait(ERROR_SLEEP)
            elif not handled:
                stop.wait(self.idle_sleep)


class BackgroundWorker:
    """A Worker on a daemon thread; ``stop()`` ends it after the current round."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=worker.run, args=(self._stop,), name="sentinel-jobs", daemon=True)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

