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


def test_pool_and_cap_settings_are_read_and_checked() -> None:
    import pytest

    from sentinel.errors import ValidationError

    settings = Settings.from_env(
        {"MAILSENTINEL_WORKER_THREADS": "12", "MAILSENTINEL_SLOW_THREADS": "3", "MAILSENTINEL_UPLOADS_IN_FLIGHT": "2"}
    )
    assert (settings.worker_threads, settings.slow_threads, settings.uploads_in_flight) == (12, 3, 2)
    # The pool holds a connection for every thread that can use one.
    assert settings.database_pool_size == 12 + 3 + 2
    assert Settings.from_env({"MAILSENTINEL_DB_POOL_SIZE": "7"}).database_pool_size == 7
    for name in ("SLOW_THREADS", "SCANS_PER_ORGANIZATION", "DB_LOCK_TIMEOUT"):
        with pytest.raises(ValidationError, match=name):
            Settings.from_env({f"MAILSENTINEL_{name}": "0"})
