"""The start-up migration outlives a database that is briefly unavailable (issue 9: `serve`
exited when PostgreSQL ended its migrating session), and fails clearly once it stays so."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from sentinel.app import build_services
from sentinel.cli import main
from sentinel.errors import ServiceUnavailable
from sentinel.settings import Settings
from sentinel.store.db import MIGRATION_LOCK_KEY, Database

# Generous: an event the test waits for, not a speed it asserts (the machine is shared).
WAIT = 60.0


class _Warnings(logging.Handler):
    """Collects sentinel.store warnings; `attempt_failed` is set by the first failed attempt."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.attempt_failed = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.messages.append(message)
        if "migration attempt" in message:
            self.attempt_failed.set()


@contextmanager
def _store_warnings() -> Iterator[_Warnings]:
    handler = _Warnings()
    logger = logging.getLogger("sentinel.store")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _in_thread(settings: Settings) -> tuple[threading.Thread, list[BaseException]]:
    """build_services (what `serve` starts with: it migrates first) on a thread of its own."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            build_services(settings).db.dispose()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def _terminate_the_waiting_migration(url: str, warnings: _Warnings) -> None:
    """Hold the migration lock so the start-up migration waits on it, end that session as an
    administrator (or a PostgreSQL restart) would, then let the retry through."""
    engine = create_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            holder.commit()
            try:
                thread, errors = _in_thread(Settings(database_url=url, migrate_timeout=WAIT))
                waiting = None
                for _ in range(int(WAIT * 10)):
                    waiting = holder.execute(text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND query ILIKE '%pg_advisory_xact_lock%' "
                        "AND pid <> pg_backend_pid()")).scalar()
                    holder.commit()
                    if waiting is not None:
                        break
                    threading.Event().wait(0.1)
                assert waiting is not None, "the migration never waited on its lock"
                assert holder.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting}).scalar()
                holder.commit()
                assert warnings.attempt_failed.wait(WAIT)
            finally:
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                holder.commit()
    finally:
        engine.dispose()
    thread.join(WAIT)
    assert not thread.is_alive() and not errors, errors


def _lock_the_sqlite_file(url: str, warnings: _Warnings) -> None:
    """Another process's write lock outlasts the lock timeout once; the retry gets through."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        thread, errors = _in_thread(Settings(database_url=url, migrate_timeout=WAIT, db_lock_timeout=0.2))
        assert warnings.attempt_failed.wait(WAIT)
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    thread.join(WAIT)
    assert not thread.is_alive() and not errors, errors


@pytest.mark.db
def test_the_start_up_migration_retries_while_the_database_is_unavailable(settings: Settings) -> None:
    url = settings.database_url
    with _store_warnings() as warnings:
        if url.startswith("postgresql"):
            _terminate_the_waiting_migration(url, warnings)
            assert any("terminat" in m or "closed" in m for m in warnings.messages), warnings.messages
        else:
            _lock_the_sqlite_file(url, warnings)
            assert any("locked" in m for m in warnings.messages), warnings.messages
    assert any("succeeded on attempt" in m for m in warnings.messages), warnings.messages


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on the port once the socket is closed: every connection is refused.
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere"


def test_a_database_that_stays_unreachable_fails_clearly(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    url = _refused_url()
    with _store_warnings() as warnings, pytest.raises(ServiceUnavailable) as err:
        Database(url).migrate(retry_for=1.2)
    assert "could not be brought up to date" in err.value.message and "1.2 s" in err.value.message
    assert "refused" in err.value.message.lower()
    assert len([m for m in warnings.messages if "migration attempt" in m]) >= 2  # it did retry
    monkeypatch.setenv("MAILSENTINEL_DATABASE_URL", url)
    monkeypatch.setenv("MAILSENTINEL_MIGRATE_TIMEOUT", "0")
    assert main(["migrate"]) == 2
    assert "error: The database schema could not be brought up to date" in capsys.readouterr().err
