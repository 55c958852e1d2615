"""How the web layer runs blocking (synchronous) calls: ports chosen by the composition root.

Two pools of their own, not anyio's shared default: one for request handlers and token
checks, one for slow work (scans, verification, report uploads), so a burst of slow work
can never take the threads that every other request, and the token check in front of
it, needs. The database pool is sized to the two together (Settings.database_pool_size).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, Protocol, TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])

# The attribute `slow_work` sets on a handler: the name of its admission caps.
SLOW_WORK = "__sentinel_slow_work__"
# The attribute `quick_read` sets on a handler.
QUICK_READ = "__sentinel_quick_read__"


class Blocking(Protocol):
    """How the web layer runs a blocking (synchronous) call from a coroutine."""

    def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]: ...


class ThreadPort:
    """A bounded pool of threads of its own; calls queue (on the event loop, holding no
    thread) when all are busy. The caller's context variables go with the call."""

    def __init__(self, threads: int, name: str) -> None:
        self.threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)

    async def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    @property
    def started(self) -> int:
        """Threads the pool has started so far."""
        return len(self._executor._threads)

    def prestart(self, timeout: float = 10.0) -> None:
        """Start every thread now. The pool otherwise starts one per call while none is idle:
        in the middle of the first burst of requests, on the event loop's thread."""
        # Each call holds its thread until all have started, so no call finds one idle.
        barrier = threading.Barrier(self.threads + 1)
        for _ in range(self.threads):
            self._executor.submit(barrier.wait, timeout)
        # A machine too busy to start them all in time: the rest start on demand.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


async def in_thread_pool(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """anyio's shared default pool: for callers outside a composed app."""
    return await run_in_threadpool(fn, *args, **kwargs)


async def inline(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """On the event loop itself: for a single process whose data is in memory (the mock),
    where a call takes microseconds and a thread hop costs more than the call."""
    return fn(*args, **kwargs)


def slow_work(kind: str) -> Callable[[F], F]:
    """Mark a handler whose work takes seconds (DNS, parsing a report): it runs on the
    slow pool, admitted by the caps for `kind` ("scan" or "upload", see web.admission)."""

    def mark(handler: F) -> F:
        setattr(handler, SLOW_WORK, kind)
        return handler

    return mark


def quick_read(handler: F) -> F:
    """Mark a handler that only reads a bounded page (at most 100 rows, by index): where the
    database is SQLite, whose readers never wait for a writer in WAL mode, it runs on the
    event loop (the services' `quick` port), saving the thread hop that costs more than it."""
    setattr(handler, QUICK_READ, True)
    return handler
