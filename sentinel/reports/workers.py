"""Where report files are parsed: in the caller's thread, or in a few processes of their own.

Parsing a report (decompression, XML, a Python object per record) is CPU work in Python.
In the server's process it holds the GIL the event loop needs: with two uploads parsing,
/health waited behind them. ParseProcesses runs it in worker processes (fresh interpreters,
sharing nothing with the server but the staging files), at a lower CPU priority than the
server, each call bounded in time: a call that overruns ParseLimits.max_seconds (plus a
grace for start-up) ends with its process, which is replaced; the others go on.

Both ports run the same functions (staging.read_header, staging.stage_report); only
InvalidReport crosses back as itself, any other failure in a worker is a RuntimeError.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
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
        except OSError:  # the server is gone
            return
        except Exception as exc:  # the outcome does not pickle: say so instead
            conn.send(("error", f"{type(exc).__name__}: {exc}", ""))


def main() -> None:
    """Entry point of a worker process: `python -c ... FD NICENESS` (see _Worker)."""
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]))


# The package's own directory on the worker's path, so it imports this very code.
_SOURCE_ROOT = str(Path(__file__).resolve().parents[2])
_ENTRY = "from sentinel.reports.workers import main; main()"


class _Worker:
    """One worker process, its end of a socket pair given as a file descriptor: a plain
    interpreter started afresh (nothing inherited, unlike fork; and, unlike
    multiprocessing's spawn, not depending on how the server's own main module was run)."""

    def __init__(self, niceness: int) -> None:
        mine, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_SOURCE_ROOT, env.get("PYTHONPATH")) if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _ENTRY, str(theirs.fileno()), str(niceness)],
                pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL, close_fds=True,
            )
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        self.conn = Connection(mine.detach())
        _LIVE.add(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    def end(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(2)
        self.conn.close()
        _LIVE.discard(self)


# Every worker still running, whichever pool started it: so none is left behind when a
# pool is dropped without close() (its idle workers end with it) or the server exits.
_LIVE: set[_Worker] = set()


def _end_idle(idle: queue.LifoQueue[_Worker]) -> None:
    while True:
        try:
            worker = idle.get_nowait()
        except queue.Empty:
            return
        worker.end(kill=False)


@atexit.register
def _end_live() -> None:
    for worker in list(_LIVE):
        worker.end(kill=False)


class ParseProcesses:
    """At most `processes` worker processes (started when first needed, or by `start`), each
    running one call at a time; callers beyond that wait for one to be free."""

    def __init__(self, processes: int, niceness: int = NICENESS, grace: float = GRACE) -> None:
        if processes < 1:
            raise ValueError("ParseProcesses needs at least one process")
        self.processes = processes
        self.niceness = niceness
        self.grace = grace
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._live = 0
        self._lock = threading.Lock()
        self._closed = False
        weakref.finalize(self, _end_idle, self._idle)

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
            return _Worker(self.niceness)
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
                raise exceeded("max_seconds", f"Reading the report took more than {seconds:g} seconds "
                               "(ParseLimits.max_seconds); refused.")
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            # The process died under the call (killed from outside, out of memory).
            log.error("a report parser process ended during a parse (exit code %s) after %.1f s",
                      worker.process.poll(), time.monotonic() - started)
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
