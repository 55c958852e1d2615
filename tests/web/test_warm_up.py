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
        # Open and idle in the pool, for the first requests to take.
        assert (pool.checkedin(), pool.checkedout()) == (4, 0)
        assert services.db.warm(100) == pool.size()  # never more than the pool holds
    finally:
        services.blocking.close()
        services.slow.close()
        services.health.close()
        services.db.dispose()


def test_no_warm_connections_when_set_to_zero(tmp_path) -> None:
    services = build_services(Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", db_pool_warm=0))
    try:
        pool = services.db.engine.pool
        assert isinstance(pool, QueuePool)
        before = pool.checkedin()  # the migration's connection
        warm_up(services)
        assert pool.checkedin() == before
    finally:
        services.db.dispose()
