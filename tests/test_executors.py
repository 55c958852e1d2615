"""Where blocking work runs: a worker thread when serving, inline in the in-memory mock."""

from __future__ import annotations

import asyncio
import threading

from sentinel.aio import run_sync
from sentinel.app import Services, build_services
from sentinel.settings import Settings
from sentinel.web.executors import ThreadPort, in_thread_pool, inline


async def _thread_name() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_run_sync_works_with_and_without_a_running_loop() -> None:
    assert run_sync(_thread_name()) == threading.current_thread().name

    async def from_a_coroutine() -> str:
        return run_sync(_thread_name())

    # Inside a running loop the coroutine gets a loop of its own on a helper thread.
    assert asyncio.run(from_a_coroutine()).startswith("sentinel-aio")


def test_serve_uses_a_worker_thread_and_the_mock_runs_inline(services: Services) -> None:
    assert isinstance(services.blocking, ThreadPort) and isinstance(services.slow, ThreadPort)
    mock = build_services(Settings(database_url="sqlite://"), "mock")
    assert mock.blocking is inline and mock.slow is inline

    async def where(blocking) -> str:  # type: ignore[no-untyped-def]
        return await blocking(lambda: threading.current_thread().name)

    loop_thread = threading.current_thread().name
    assert asyncio.run(where(inline)) == loop_thread
    assert asyncio.run(where(in_thread_pool)) != loop_thread
