"""The one session factory: engines, transactions and schema migrations."""

from __future__ import annotations

import contextlib
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from sentinel.errors import ServiceUnavailable

log = logging.getLogger("sentinel.store")

MIGRATIONS = Path(__file__).with_name("migrations")
MEMORY_URLS = frozenset({"sqlite://", "sqlite:///:memory:"})
# The PostgreSQL advisory lock migrations hold (any constant of this project's own).
MIGRATION_LOCK_KEY = 0x6D61696C73656E74
# SQLite's words for a lock or I/O wait that gave up; every other SQLite error is a bug.
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "database is busy", "disk i/o error",
                     "unable to open database")
# Seconds a client should wait: a lock or pool wait clears in moments; an outage takes longer.
RETRY_BUSY = 2
RETRY_DOWN = 5
# Backoff between start-up migration attempts while the database is unavailable.
MIGRATE_FIRST_DELAY = 0.5
MIGRATE_MAX_DELAY = 5.0
# A lost connection is reported as soon as it happens; the same cause then once per interval.
_LOG_INTERVAL = 10.0


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed while one writer commits; the busy timeout queues writers.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return apply


class _Throttled:
    """Logs each kind of outage once per interval (with how many were not logged), so a
    storm of lock timeouts is a few lines, not one per request."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}
        self._lock = threading.Lock()

    def warn(self, kind: str, message: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -_LOG_INTERVAL) < _LOG_INTERVAL:
                self._quiet[kind] = self._quiet.get(kind, 0) + 1
                return
            self._last[kind] = now
            quiet = self._quiet.pop(kind, 0)
        more = f" ({quiet} more since the last report)" if quiet else ""
        log.warning("%s%s", message, more)


_outages = _Throttled()


def _outage(exc: BaseException) -> tuple[str, int, str] | None:
    """(kind, seconds to retry after, message) for a database error that is about waiting or
    reachability, not about the query; None for everything else (a bug)."""
    if isinstance(exc, PoolTimeout):
        return "pool", RETRY_BUSY, "The server is busy: no database connection became free in time; retry shortly."
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "lost", RETRY_DOWN, "The connection to the database was lost; retry shortly."
    if not isinstance(exc, OperationalError):
        return None
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        if not any(word in str(orig).lower() for word in _SQLITE_TRANSIENT):
            return None
        return "locked", RETRY_BUSY, "The database is busy with other writes; retry shortly."
    # psycopg's OperationalError family: connection refused or lost, lock_timeout,
    # deadlock, serialization failure, administrator shutdown.
    if "connect" in str(orig).lower() or "terminat" in str(orig).lower():
        return type(orig).__name__, RETRY_DOWN, "The database is unreachable; retry shortly."
    return type(orig).__name__, RETRY_BUSY, "The database could not complete the request now; retry shortly."


def unavailable(exc: SQLAlchemyError) -> ServiceUnavailable | None:
    """The 503 for a database error that is about waiting or reachability, not about the
    query: a lock wait or pool wait that timed out, a lost or refused connection. None for
    everything else (a bug, which stays a 500)."""
    outage = _outage(exc)
    if outage is None:
        return None
    kind, retry, message = outage
    _outages.warn(kind, f"database unavailable ({kind}): {str(exc).splitlines()[0][:200]}")
    return ServiceUnavailable(message, headers={"Retry-After": str(retry)})


@contextmanager
def _unavailable_on_timeouts() -> Iterator[None]:
    """Raises ServiceUnavailable (with Retry-After) for the errors `unavailable` recognises."""
    try:
        yield
    except SQLAlchemyError as exc:
        error = unavailable(exc)
        if error is None:
            raise
        raise error from exc


def lock_row(session: Session, key: Any, value: Any) -> bool:
    """Lock the row whose `key` column equals `value` until the transaction ends
    (SELECT ... FOR UPDATE on PostgreSQL; SQLite ignores FOR UPDATE: there a transaction
    begun with `write_lock` already excludes every other writer). Returns whether it exists.
    """
    return session.execute(select(key).where(key == value).with_for_update()).first() is not None


def _fetch(connection: Any, sql: str, params: Sequence[Any], one: bool) -> list[Any]:
    """The rows of one query on a DBAPI connection (`one`: the first at most)."""
    cursor = connection.cursor()
    cursor.execute(sql, params)
    rows = cursor.fetchmany(1) if one else cursor.fetchall()
    cursor.close()
    return list(rows)


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")


class _WriterQueue:
    """This process's writers to one SQLite file, one at a time, in the order they asked.

    SQLite lets one writer in; the others poll on a growing sleep (its busy handler: up to
    100 ms a try), so under a burst an unlucky writer loses every race for seconds (POST
    /api/tokens, 16 at once: p99 1.06 s, max 1.56 s). Queued on a lock here they wait no longer
    than the writes before them (p99 117 ms); the busy handler remains for other processes.
    A `transaction()` joins the queue at its first write (where pysqlite begins SQLite's
    transaction: its reads before that run outside it and need no turn), or at once with
    `write_lock`, and leaves it when it ends.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def turn(self, now: bool) -> Iterator[None]:
        local = self._local
        if getattr(local, "inside", False):  # nested: the outer transaction owns the turn
            yield
            return
        local.inside, local.holding = True, False
        try:
            if now:
                self._take()
            yield
        finally:
            if local.holding:
                self._lock.release()
            local.inside = local.holding = False

    def _take(self) -> None:
        if not self._lock.acquire(timeout=self.timeout):
            _outages.warn("locked", f"database unavailable (locked): no turn to write within {self.timeout:g} s")
            raise ServiceUnavailable(
                "The database is busy with other writes; retry shortly.", headers={"Retry-After": str(RETRY_BUSY)}
            )
        self._local.holding = True

    def before_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        local = self._local
        if getattr(local, "inside", False) and not local.holding and statement.lstrip()[:15].upper().startswith(
            _WRITES
        ):
            self._take()


class Database:
    """An engine plus its session factory; `transaction()` is the unit of work."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        pool_timeout: float = 5.0,
        lock_timeout: float = 10.0,
        health_timeout: float = 1.0,
    ) -> None:
        """`pool_size` connections at most (no overflow: size it to the threads that use
        it); a connection waited for longer than `pool_timeout` seconds, or a lock waited
        for longer than `lock_timeout`, is a ServiceUnavailable."""
        self.url = url
        self._keeper: sqlite3.Connection | None = None
        self._in_transaction: threading.local | None = None
        self._lock_timeout = lock_timeout
        self._health_timeout = health_timeout
        self._health_engine: Engine | None = None
        self._health_lock = threading.Lock()
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
            if url in MEMORY_URLS:
                url = self._private_memory_database(kwargs)
            else:
                kwargs.update(pool_size=pool_size, max_overflow=0, pool_timeout=pool_timeout)
        else:
            kwargs.update(
                pool_size=pool_size,
                max_overflow=0,
                pool_timeout=pool_timeout,
                pool_pre_ping=True,
                connect_args=self._postgres_options(lock_timeout),
            )
        self._engine_url = url
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas(int(lock_timeout * 1000)))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._paramstyle = self.engine.dialect.paramstyle
        # A SQLite file's per-request reads (read_rows) use a connection of each thread's own,
        # outside the pool: a pool checkout and return cost more than the read. In WAL mode a
        # connection outside a transaction sees every commit, as a fresh one would.
        self._readers: threading.local | None = None
        self._reader_fairies: list[Any] = []
        self._writers: _WriterQueue | None = None
        if url.startswith("sqlite") and self._keeper is None:
            self._readers = threading.local()
            self._writers = _WriterQueue(lock_timeout)
            event.listen(self.engine, "before_cursor_execute", self._writers.before_statement)

    @staticmethod
    def _postgres_options(lock_timeout: float, connect_timeout: float = 5.0) -> dict[str, Any]:
        # Without lock_timeout a row lock held elsewhere makes PostgreSQL wait for ever.
        return {
            "connect_timeout": max(1, round(connect_timeout)),
            "options": f"-c lock_timeout={int(lock_timeout * 1000)}",
        }

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
    def transaction(self, *, write_lock: bool = False) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any exception.

        `write_lock` is for work that reads, checks an invariant, then writes (the last
        owner): on SQLite the transaction takes the database's write lock before its
        first read (BEGIN IMMEDIATE), so two such transactions run one after the other; on
        PostgreSQL the caller locks the row the invariant hangs on (`lock_row`).
        Raises ServiceUnavailable when a lock or a connection is not had in time or the
        database is unreachable; RuntimeError when nested on an in-memory database.
        """
        writers = self._writers
        with _unavailable_on_timeouts(), self._exclusive(), (writers.turn(write_lock) if writers else nullcontext()), \
                self._sessions() as session, session.begin():
            if write_lock and self.engine.dialect.name == "sqlite":
                # pysqlite only begins before its first write; begun here, the read is inside.
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    @contextmanager
    def cursor_transaction(self, *, write_lock: bool = False) -> Iterator[Any]:
        """A DBAPI cursor on a pooled connection, in one transaction that commits on success
        and rolls back on any exception: for a hot write made of `Prepared` statements,
        without the ORM's unit of work or Core's per-execution work. `write_lock` and the
        errors raised are as in `transaction`."""
        dialect = self.engine.dialect
        error = dialect.loaded_dbapi.Error
        writers = self._writers
        # A hot write: its turn among this process's SQLite writers is taken at once.
        with _unavailable_on_timeouts(), self._exclusive(), (writers.turn(True) if writers else nullcontext()):
            try:
                # Unlike Engine.connect, a raw checkout leaves connect errors unwrapped: wrapped below.
                connection = self.engine.raw_connection()
            except error as exc:
                raise DBAPIError.instance(None, None, exc, error) from exc
            try:
                cursor = connection.cursor()
                if write_lock and dialect.name == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                yield cursor
                cursor.close()
                connection.commit()
            except error as exc:
                # As Core does: a connection the server dropped leaves the pool, not reused.
                lost = dialect.is_disconnect(exc, connection.dbapi_connection, None)
                if lost:
                    connection.invalidate(exc)
                raise DBAPIError.instance(None, None, exc, error, connection_invalidated=lost) from exc
            finally:
                # Back to the pool, whose reset rolls back whatever did not commit.
                connection.close()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A plain connection for read-only Core queries, rolled back when done: the cheap
        path for hot lists, which need neither the ORM nor a commit.

        Raises ServiceUnavailable as `transaction` does."""
        with _unavailable_on_timeouts(), self._exclusive(), self.engine.connect() as connection:
            yield connection

    def read_value(self, sql: str) -> Any:
        """The first column of the first row of a constant read-only query, on a pooled DBAPI
        connection: ~30 us where a Core execution costs ~150, for the one look-up every
        request makes (the principals' generation). None when there is no row.

        Raises ServiceUnavailable as `transaction` does."""
        rows = self.read_rows(sql, (), one=True)
        return rows[0][0] if rows else None

    def read_rows(self, sql: str, params: Sequence[Any], *, one: bool = False) -> list[Any]:
        """The rows of a small read-only query on a pooled DBAPI connection, past SQLAlchemy's
        execution machinery (for the per-request reads of cache versions). `sql` marks its
        parameters with `?`, whatever the driver's own style. `one`: the first row at most.

        Raises ServiceUnavailable as `transaction` does."""
        if self._paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        error = self.engine.dialect.loaded_dbapi.Error
        with _unavailable_on_timeouts(), self._exclusive():
            try:
                if self._readers is not None:
                    return self._read_on_own(sql, params, one)
                # Unlike Engine.connect, a raw checkout leaves connect errors unwrapped: wrapped below.
                connection = self.engine.raw_connection()
                try:
                    return _fetch(connection, sql, params, one)
                finally:
                    connection.close()  # back to the pool, which rolls back what the read began
            except error as exc:
                raise DBAPIError.instance(sql, params, exc, error) from exc

    def _read_on_own(self, sql: str, params: Sequence[Any], one: bool) -> list[Any]:
        readers = self._readers
        assert readers is not None
        connection: Any = getattr(readers, "connection", None)
        if connection is None:
            fairy = self.engine.raw_connection()  # opened as the pool's are (the pragmas)
            fairy.detach()
            with self._health_lock:
                self._reader_fairies.append(fairy)
            connection = readers.connection = fairy.dbapi_connection
        try:
            return _fetch(connection, sql, params, one)
        except Exception:
            readers.connection = None  # whatever went wrong, the next read opens another
            connection.close()
            raise

    def warm(self, connections: int) -> int:
        """Open up to `connections` pooled connections now (at most the pool's size) and leave
        them idle in the pool, so the first burst of requests finds them open instead of each
        thread connecting (on PostgreSQL a new server process apiece). Returns how many.

        Raises ServiceUnavailable as `transaction` does."""
        pool = self.engine.pool
        wanted = min(connections, pool.size()) if isinstance(pool, QueuePool) else 0
        held: list[Any] = []
        with _unavailable_on_timeouts():
            try:
                while len(held) < wanted:
                    held.append(self.engine.raw_connection())
            finally:
                for connection in held:
                    connection.close()
        return len(held)

    def _health(self) -> Engine:
        """An engine of one connection for health checks only, so a ping never queues
        behind requests for the main pool."""
        with self._health_lock:
            if self._health_engine is None:
                kwargs: dict[str, Any] = {
                    "poolclass": QueuePool,
                    "pool_size": 1,
                    "max_overflow": 0,
                    "pool_timeout": self._health_timeout,
                }
                if self._engine_url.startswith("sqlite"):
                    kwargs["connect_args"] = {"check_same_thread": False}
                else:
                    kwargs.update(
                        pool_pre_ping=True,
                        connect_args=self._postgres_options(self._lock_timeout, self._health_timeout),
                    )
                self._health_engine = create_engine(self._engine_url, **kwargs)
                if self._engine_url.startswith("sqlite"):
                    event.listen(self._health_engine, "connect", _sqlite_pragmas(int(self._health_timeout * 1000)))
            return self._health_engine

    def ping(self) -> float:
        """Round-trip a trivial query on the health connection; returns milliseconds.

        Raises ServiceUnavailable."""
        start = time.perf_counter()
        try:
            with self._health().connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise ServiceUnavailable(f"The database is unreachable: {type(exc).__name__}.") from exc
        return (time.perf_counter() - start) * 1000

    def migrate(self, retry_for: float = 0.0) -> None:
        """Bring the schema up to date with the Alembic migrations.

        A database that refuses or loses the connection, or is locked, is tried again with
        backoff for up to `retry_for` seconds (a PostgreSQL restart, or an administrator
        ending sessions, while instances start); the migration is one transaction, so an
        attempt cut off leaves nothing behind. Raises ServiceUnavailable once that time is
        spent, SQLAlchemy's errors for anything else.
        """
        deadline = time.monotonic() + retry_for
        delay = MIGRATE_FIRST_DELAY
        attempt = 1
        while True:
            try:
                self._migrate_once()
                if attempt > 1:
                    log.warning("database migration succeeded on attempt %d", attempt)
                return
            except SQLAlchemyError as exc:
                if _outage(exc) is None:
                    raise
                cause = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip().splitlines()[0][:200]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ServiceUnavailable(
                        f"The database schema could not be brought up to date: the database was unavailable "
                        f"for {retry_for:g} s ({attempt} attempts; last: {cause})."
                    ) from exc
                wait = min(delay, left)
                log.warning("database migration attempt %d failed (%s); retrying in %.1f s", attempt, cause, wait)
                time.sleep(wait)
                delay = min(delay * 2, MIGRATE_MAX_DELAY)
                attempt += 1

    def _migrate_once(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            # Instances started together on one database migrate one after the other: the
            # first upgrades, the rest find the schema at head (else they race on alembic_version).
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                # A migration may wait as long as the previous one takes, not the request lock timeout.
                connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        with self._health_lock:
            fairies, self._reader_fairies = self._reader_fairies, []
        for fairy in fairies:
            with contextlib.suppress(Exception):
                fairy.dbapi_connection.close()
        if self._readers is not None:
            self._readers = threading.local()
        self.engine.dispose()
        if self._health_engine is not None:
            self._health_engine.dispose()
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None
