"""Running coroutines from synchronous code: the core is synchronous (SQLAlchemy, the CLI)
while DNS is asynchronous (dnspython's asyncio resolver)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

# Coroutines started from code that is itself running on an event loop get a loop of their own here.
_BRIDGE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sentinel-aio")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, on this thread's own event loop,
    or on a helper thread's when this thread is already running one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    return _BRIDGE.submit(asyncio.run, coroutine).result()
