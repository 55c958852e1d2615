"""How the web layer runs blocking (synchronous) calls: a port chosen by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, Protocol, TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
P = ParamSpec("P")


class Blocking(Protocol):
    """How the web layer runs a blocking (synchronous) call from a coroutine."""

    def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]: ...


async def in_thread_pool(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """The default: a worker thread, so a slow database never stalls the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


async def inline(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """On the event loop itself: for a single process whose data is in memory (the mock),
    where a call takes microseconds and a thread hop costs more than the call."""
    return fn(*args, **kwargs)
