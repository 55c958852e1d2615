"""The health probe answers from its last ping while a new one is under way, and stops
trusting that answer once it is STALE."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import pytest

from sentinel.store.db import Database
from sentinel.web import health
from sentinel.web.health import HealthProbe

# Only guards against a probe that hangs; nothing here asserts how fast it answers.
HANG_GUARD = 30


class GatedDatabase(Database):
    """A real SQLite database whose pings wait at a gate the test opens and closes."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.gate = threading.Event()
        self.gate.set()
        self.pings = 0

    def ping(self) -> float:
        self.pings += 1
        self.gate.wait(HANG_GUARD)
        return super().ping()


def test_a_slow_ping_is_answered_from_the_last_one_until_it_is_stale(tmp_path: Path) -> None:
    db = GatedDatabase(f"sqlite:///{tmp_path / 'h.db'}")
    probe = HealthProbe(db, timeout=0.2)

    async def scenario() -> None:
        async def check() -> tuple[bool, dict[str, object]]:
            return await asyncio.wait_for(probe.database(), HANG_GUARD)

        reachable, first = await check()
        assert reachable and first["status"] == "ok" and db.pings == 1
        # Fresh: answered from the last ping, none started.
        assert (await check())[0] and db.pings == 1
        # The database stalls. Past FRESH the answer is still the last one, and a new ping starts.
        db.gate.clear()
        await asyncio.sleep(health.FRESH + 0.1)
        assert (await check())[0]
        for _ in range(HANG_GUARD * 100):  # the new ping reaches its thread
            if db.pings == 2:
                break
            await asyncio.sleep(0.01)
        assert db.pings == 2
        # Past STALE the last answer is not trusted: the stalled ping is waited for, up to the timeout.
        await asyncio.sleep(health.STALE)
        reachable, stalled = await check()
        assert not reachable and stalled["status"] == "unavailable" and "did not answer" in str(stalled["error"])
        assert db.pings == 2  # still the one ping in flight, shared
        db.gate.set()
        await asyncio.sleep(0.1)
        assert (await check())[0]

    try:
        asyncio.run(scenario())
    finally:
        db.gate.set()
        probe.close()
        db.dispose()


class BrokenDatabase(Database):
    """A real SQLite database whose ping fails with a bug, not an outage."""

    def ping(self) -> float:
        raise RuntimeError("a bug in the ping")


def test_an_unexpected_ping_failure_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    probe = HealthProbe(BrokenDatabase(f"sqlite:///{tmp_path / 'h.db'}"), timeout=5)

    async def scenario() -> tuple[bool, dict[str, object]]:
        outcome = await asyncio.wait_for(probe.database(), HANG_GUARD)
        await asyncio.sleep(0.05)  # the ping's done-callback has run
        return outcome

    with caplog.at_level(logging.ERROR, logger="sentinel.web"):
        reachable, body = asyncio.run(scenario())
    probe.close()
    assert not reachable and body == {"status": "unavailable", "error": "The database check failed: RuntimeError."}
    assert [r.getMessage() for r in caplog.records] == ["health check failed: RuntimeError"]
