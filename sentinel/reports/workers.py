"""Where report files are parsed: in the caller's thread, or in a few processes of their own.

Parsing a report (decompression, XML, a Python object per record) is CPU work in Python.
In the server's process it holds the GIL the event loop needs: with two uploads parsing,
/health waited behind them. ParseProcesses runs it in worker processes (spawned, so they
share nothing with the server but the staging files), at a lower CPU priority than the
server, each call bounded in time: a call that overruns ParseLimits.max_seconds (plus a
grace for start-up) ends with its process, which is replaced; the others go on.

Both ports run the same functions (staging.read_header, staging.stage_report); only
InvalidReport crosses back as itself, any other failure in a worker is a RuntimeError.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol, TypeVar

from sentinel.errors import ErrorDetail, InvalidReport, ServiceUnavailable

from .limits import exceeded

log = logging.getLogger("sentinel.reports")

T = TypeVar("T")

#: Seconds a call may take beyond its own time budget (a worker's start-up, the staging
#: files' last writes) before its process is ended.
GRACE = 10.0
#: How much lower than the server's a worker's CPU priority is (os.nice): the event loop and
#: the other requests go first; parsing takes what CPU is left.
NICENESS = 10
#: Seconds to suggest when every worker stayed busy for the whole wait.
RETRY_AFTER = 5


class Parsing(Protocol):
    """Runs a staging function with its arguments, within `seconds` (its time budget)."""

    def run(self, fn: Callable[..., T], args: tuple[Any, ...], seconds: float) -> T: ...

    def close(self) -> None: ...


class InThread:
    """Parse in the caller's thread (the CLI, the mock, tests of the parser): the parser's own
    deadline checks bound the time."""

    def run(self, fn: Callable[..., T], args: tuple[Any, ...], seconds: float) -> T:
        return fn(*args)

    def close(self) -> None:
        pass


def _serve(conn: Connection, niceness: int) -> None:
    """A worker process: run each (fn, args) received and send back its outcome."""
    with contextlib.suppress(OSError):  # not permitted: run at the server's priority
        os.nice(niceness)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the server is gone
            return
        if message is None:
            return
        fn, args = message
        try:
            reply: tuple[Any, ...] = ("ok", fn(*args))
        except InvalidReport as exc:
            reply = ("invalid", exc.message, [(d.field, d.message) for d in exc.details])
        except BaseException as exc:  # reported to the caller, who raises
            reply = ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, context: Any, niceness: int) -> None:
        self.conn, child = multiprocessing.Pipe(duplex=True)
        self.process: BaseProcess = context.Process(target=_serve, args=(child, niceness), daemon=True,
                                                    name="sentinel-parse")
        self.process.start()
        child.close()

    def end(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.conn.close()


class ParseProcesses:
    """At most `processes` worker processes (started when first needed, or by `start`), each
    running one call at a time; callers beyond that wait for one to be free."""

    def __init__(self, processes: int, niceness: int = NICENESS, grace: float = GRACE) -> None:
        if processes < 1:
            raise ValueError("ParseProcesses needs at least one process")
        self.processes = processes
        self.niceness = niceness
        self.grace = grace
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._live = 0
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        """Start every worker now (spawning one takes a second of imports), not at the first upload."""
        workers = []
        while True:
            with self._lock:
                if self._closed or self._live >= self.processes:
                    break
                self._live += 1
            workers.append(self._spawn())
        for worker in workers:
            self._idle.put(worker)

    def _spawn(self) -> _Worker:
        try:
            return _Worker(self._context, self.niceness)
        except BaseException:
            with self._lock:
                self._live -= 1
            raise

    def _take(self, wait: float) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._closed:
                raise ServiceUnavailable("The server is shutting down; retry shortly.",
                                         headers={"Retry-After": str(RETRY_AFTER)})
            grow = self._live < self.processes
            if grow:
                self._live += 1
        if grow:
            return self._spawn()
        try:
            return self._idle.get(timeout=wait)
        except queue.Empty:
            raise ServiceUnavailable(
                f"Every report parser stayed busy for {wait:g} seconds; retry shortly.",
                headers={"Retry-After": str(RETRY_AFTER)},
            ) from None

    def _discard(self, worker: _Worker, kill: bool) -> None:
        worker.end(kill)
        with self._lock:
            self._live -= 1

    def run(self, fn: Callable[..., T], args: tuple[Any, ...], seconds: float) -> T:
        """fn(*args) in a worker, within `seconds` (+ `grace`): past that its process is ended and
        InvalidReport (limits.max_seconds) raised. Raises InvalidReport as fn does,
        ServiceUnavailable when no worker is free within `seconds`, RuntimeError when fn
        failed otherwise or its process died."""
        worker = self._take(seconds)
        started = time.monotonic()
        try:
            worker.conn.send((fn, args))
            if not worker.conn.poll(seconds + self.grace):
                log.warning("a report parse ran past %.0f s; its process was ended", seconds + self.grace)
                self._discard(worker, kill=True)
                raise exceeded("max_seconds", f"Reading the report took longer than {seconds:g} seconds "
                               "(ParseLimits.max_seconds); it was stopped.")
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            # The process died under the call (killed from outside, out of memory).
            log.error("a report parser process ended during a parse (exit code %s) after %.1f s",
                      worker.process.exitcode, time.monotonic() - started)
            self._discard(worker, kill=True)
            raise RuntimeError("The report parser process ended unexpectedly.") from exc
        self._idle.put(worker)
        if reply[0] == "ok":
            result: T = reply[1]
            return result
        if reply[0] == "invalid":
            details = [ErrorDetail(f, m) for f, m in reply[2]]
            raise InvalidReport(reply[1], details=details)
        log.error("a report parse failed in its process: %s\n%s", reply[1], reply[2])
        raise RuntimeError(f"The report parser failed: {reply[1]}")

    def close(self) -> None:
        """End every worker (idle ones at once; a busy one ends when its caller next uses it)."""
        with self._lock:
            self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(worker, kill=False)
