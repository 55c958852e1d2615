"""Migrations: instances started together migrate once, one after the other; data migrations."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sentinel.store.db import Database

PARALLEL = 4


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own: a new SQLite file, or a new PostgreSQL database
    beside MAILSENTINEL_TEST_DATABASE_URL's when that is set."""
    base = os.environ.get("MAILSENTINEL_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"ms_migrate_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.db
def test_parallel_migrations_of_a_fresh_database_all_succeed(fresh_url: str) -> None:
    databases = [Database(fresh_url) for _ in range(PARALLEL)]
    barrier = threading.Barrier(PARALLEL)
    errors: list[BaseException] = []

    def migrate(db: Database) -> None:
        barrier.wait()
        try:
            # As serve starts: a migration waiting past the lock timeout tries again.
            db.migrate(retry_for=120)
        except BaseException as exc:  # every failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(db,)) for db in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == []
        with databases[0].engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1
    finally:
        for db in databases:
            db.dispose()


def _upgrade(db: Database, revision: str) -> None:
    """Alembic's upgrade to `revision` (not necessarily head), on `db`."""
    from alembic import command
    from alembic.config import Config

    from sentinel.store.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_stored_addresses_are_lower_cased_unless_taken(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")

    def upgrade(revision: str) -> None:
        _upgrade(db, revision)

    try:
        upgrade("0005_reports_skipped")
        with db.engine.begin() as c:
            for user_id, email in [("usr_1", "Alice@example.com"), ("usr_2", "Bob@example.com"),
                                   ("usr_3", "bob@example.com")]:
                c.execute(text("INSERT INTO users (id, email, created_at) VALUES (:id, :email, '2024-01-01')"),
                          {"id": user_id, "email": email})
        upgrade("head")
        with db.engine.connect() as c:
            emails = dict(c.execute(text("SELECT id, email FROM users ORDER BY id")).all())
        # Bob's mixed-case twin keeps its case: the lower-case address belongs to usr_3.
        assert emails == {"usr_1": "alice@example.com", "usr_2": "Bob@example.com", "usr_3": "bob@example.com"}
    finally:
        db.dispose()


def test_events_recorded_before_webhooks_existed_are_never_delivered(tmp_path: Path) -> None:
    """0007 marks the outbox's earlier events dispatched: no endpoint created later gets them."""
    db = Database(f"sqlite:///{tmp_path / 'before-hooks.db'}")

    def upgrade(revision: str) -> None:
        _upgrade(db, revision)

    try:
        upgrade("0006_email_case")
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO organizations (id, name, plan, created_at, updated_at) "
                           "VALUES ('org_1', 'Old', 'free', '2024-01-01', '2024-01-01')"))
            c.execute(text("INSERT INTO events (id, organization_id, type, data, created_at) "
                           "VALUES ('evt_1', 'org_1', 'report.received', '{}', '2024-01-02')"))
        upgrade("head")
        with db.engine.connect() as c:
            assert c.execute(text("SELECT delivered_at FROM events")).scalar_one() is not None
    finally:
        db.dispose()
