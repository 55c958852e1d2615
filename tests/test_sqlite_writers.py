"""A process's writers to one SQLite file take turns in a queue (sentinel/store/db.py,
_WriterQueue) instead of racing SQLite's busy handler; reads never wait for a turn."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from sentinel.errors import ServiceUnavailable
from sentinel.store.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'writers.db'}", lock_timeout=0.5)
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        connection.execute(text("INSERT INTO t (id, v) VALUES (1, 'first')"))
    yield database
    database.dispose()


def _holding_a_write(db: Database, wrote: threading.Event, release: threading.Event) -> None:
    with db.transaction() as session:
        session.execute(text("UPDATE t SET v = 'held' WHERE id = 1"))
        wrote.set()
        release.wait(30)


def test_a_write_waits_for_the_turn_and_gets_a_503_past_the_lock_timeout(db: Database) -> None:
    wrote, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_holding_a_write, args=(db, wrote, release))
    holder.start()
    try:
        assert wrote.wait(30)
        with pytest.raises(ServiceUnavailable) as refused, db.transaction() as session:
            session.execute(text("INSERT INTO t (id, v) VALUES (2, 'second')"))
        assert refused.value.headers["Retry-After"] == "2"
    finally:
        release.set()
        holder.join(30)
    with db.reading() as connection:
        rows = connection.execute(text("SELECT id, v FROM t ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "held")]  # the refused insert left nothing


def test_reads_and_read_only_transactions_take_no_turn(db: Database) -> None:
    wrote, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_holding_a_write, args=(db, wrote, release))
    holder.start()
    try:
        assert wrote.wait(30)
        # While the writer holds its turn (uncommitted), readers see the last commit.
        with db.transaction() as session:
            assert session.execute(text("SELECT v FROM t WHERE id = 1")).scalar_one() == "first"
        assert db.read_rows("SELECT v FROM t WHERE id = ?", (1,)) == [("first",)]
        assert holder.is_alive()
    finally:
        release.set()
        holder.join(30)
    assert db.read_rows("SELECT v FROM t WHERE id = ?", (1,)) == [("held",)]


def test_the_turn_is_given_back_after_an_error_and_nested_work_does_not_wait_for_itself(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.execute(text("UPDATE t SET v = 'rolled back' WHERE id = 1"))
        raise RuntimeError("boom")
    with db.transaction(write_lock=True) as session:
        session.execute(text("UPDATE t SET v = 'outer' WHERE id = 1"))
        # Same thread, same turn: a nested transaction reads without queueing behind itself.
        with db.transaction() as inner:
            assert inner.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
    assert db.read_rows("SELECT v FROM t WHERE id = ?", (1,)) == [("outer",)]


def test_parallel_writers_all_land(db: Database) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                with db.transaction() as session:
                    session.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": f"{n}-{i}"})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert db.read_rows("SELECT count(*) FROM t", ()) == [(161,)]
