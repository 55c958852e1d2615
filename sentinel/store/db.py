"""The one session factory: engines, transactions and schema migrations."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from sentinel.errors import ServiceUnavailable

MIGRATIONS = Path(__file__).with_name("migrations")
MEMORY_URLS = frozenset({"sqlite://", "sqlite:///:memory:"})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; the busy timeout queues writers.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """An engine plus its session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self._keeper: sqlite3.Connection | None = None
        self._in_transaction: threading.local | None = None
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
            if url in MEMORY_URLS:
                url = self._private_memory_database(kwargs)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _private_memory_database(self, kwargs: dict[str, Any]) -> str:
        """Configure a private in-memory database that is safe under a thread pool.

        A single shared connection (StaticPool) lets concurrent requests interleave their
        transactions on it. Instead the pool holds one connection and lends it to one
        transaction at a time; a named shared-cache database plus a keeper connection keeps
        the data alive even if the pool ever replaces its connection. In-memory SQLite
        answers in microseconds, so serialising costs little.
        """
        name = f"file:mailsentinel-{secrets.token_hex(8)}?mode=memory&cache=shared"
        self._keeper = sqlite3.connect(name, uri=True, check_same_thread=False)
        self._in_transaction = threading.local()
        kwargs.update(poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=30)
        return f"sqlite:///{name}&uri=true"

    @property
    def in_memory(self) -> bool:
        return self._keeper is not None

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Raises RuntimeError for work nested in other work on the same thread of an in-memory
        database: its single connection is taken, so waiting would deadlock."""
        local = self._in_transaction
        if local is not None:
            if getattr(local, "active", False):
                raise RuntimeError("Nested transaction on the single-connection in-memory database.")
            local.active = True
        try:
            yield
        finally:
            if local is not None:
                local.active = False

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any exception.

        Raises RuntimeError when nested on an in-memory database (see `_exclusive`).
        """
        with self._exclusive(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A plain connection for read-only Core queries, rolled back when done: the cheap
        path for hot lists, which need neither the ORM nor a commit."""
        with self._exclusive(), self.engine.connect() as connection:
            yield connection

    def ping(self) -> float:
        """Round-trip a trivial query; returns milliseconds. Raises ServiceUnavailable."""
        import time

        start = time.perf_counter()
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise ServiceUnavailable(f"The database is unreachable: {type(exc).__name__}.") from exc
        return (time.perf_counter() - start) * 1000

    def migrate(self) -> None:
        """Bring the schema up to date with the Alembic migrations."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None
