"""`serve` warms up before its first request: every handler and slow-work thread started, the
configured number of pooled connections and the health ping's connection open."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.pool import QueuePool

from sentinel.app import build_services, warm_up
from sentinel.settings import Settings
from sentinel.web.executors import ThreadPort


@pytest.mark.db
def test_warm_up_starts_the_threads_and_opens_the_connections(settings: Settings) -> None:
    services = build_services(replace(settings, worker_threads=6, slow_threads=3, db_pool_warm=4), migrate=False)
    try:
        assert isinstance(services.blocking, ThreadPort) and isinstance(services.slow, ThreadPort)
        pool = services.db.engine.pool
        assert isinstance(pool, QueuePool)
        assert (services.blocking.started, services.slow.started, pool.checkedin()) == (0, 0, 0)
        warm_up(services)
        assert (services.blocking.started, services.slow.started) == (6, 3)
        # On PostgreSQL open and idle in the pool, for the first requests to take; SQLite's open on demand.
        warmed = 0 if services.db.engine.dialect.name == "sqlite" else 4
        assert (pool.checkedin(), pool.checkedout()) == (warmed, 0)
    finally:
        services.blocking.close()
        services.slow.close()
        services.health.close()
        services.db.dispose()


def test_warming_opens_at_most_the_pool(tmp_path) -> None:
    services = build_services(Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", db_pool_size=5),
                              migrate=False)
    try:
        pool = services.db.engine.pool
        assert isinstance(pool, QueuePool)
        assert services.db.warm(3) == 3 and (pool.checkedin(), pool.checkedout()) == (3, 0)
        assert services.db.warm(100) == 5 and pool.checkedin() == 5
    finally:
        services.db.dispose()


@pytest.mark.db
def test_no_warm_connections_when_set_to_zero(settings: Settings) -> None:
    services = build_services(replace(settings, db_pool_warm=0), migrate=False)
    try:
        pool = services.db.engine.pool
        assert isinstance(pool, QueuePool)
        warm_up(services)
        assert pool.checkedin() == 0
    finally:
        services.db.dispose()
