"""The in-memory database under uvicorn's thread pool: concurrent requests never interleave
transactions on one connection (what a single shared StaticPool connection would do)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from sentinel.store.db import Database
from tests.mock.conftest import OWNER_TOKEN
from tests.support.server import LiveServer

THREADS = 16
ROUNDS = 6


def _workflow(base_url: str, org_id: str, worker: int) -> list[int]:
    statuses = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {OWNER_TOKEN}"}, timeout=60) as c:
        for i in range(ROUNDS):
            name = f"w{worker}-r{i}.example.com"
            created = c.post(f"/api/organizations/{org_id}/domains", json={"domain": name})
            statuses.append(created.status_code)
            if created.status_code != 201:
                continue
            domain_id = created.json()["data"]["domain"]["id"]
            statuses.append(c.get("/api/domains", params={"q": f"w{worker}-"}).status_code)
            statuses.append(c.get(f"/api/domains/{domain_id}").status_code)
            statuses.append(c.patch(f"/api/domains/{domain_id}", json={"description": "x"}).status_code)
            if i % 2:
                statuses.append(c.delete(f"/api/domains/{domain_id}").status_code)
                statuses.append(404 if c.get(f"/api/domains/{domain_id}").status_code == 404 else 599)
    return statuses


def test_concurrent_clients_see_a_coherent_state(mock_live: LiveServer, owner: httpx.Client) -> None:
    org_id = owner.get("/api/me").json()["data"]["memberships"][0]["organization"]["id"]
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda w: _workflow(mock_live.url, org_id, w), range(THREADS)))
    statuses = [s for r in results for s in r]
    assert set(statuses) <= {200, 201, 404}, sorted(set(statuses))
    assert statuses.count(201) == THREADS * ROUNDS
    remaining = owner.get(f"/api/organizations/{org_id}/domains", params={"q": "-r", "limit": 100}).json()
    assert remaining["data"]["pagination"]["total"] == THREADS * ROUNDS // 2


def test_the_memory_database_serialises_transactions() -> None:
    db = Database("sqlite://")
    db.migrate()
    try:
        from sqlalchemy import text

        with db.transaction() as session:
            session.execute(text("CREATE TABLE counter (n INTEGER)"))
            session.execute(text("INSERT INTO counter VALUES (0)"))

        def bump(_: int) -> None:
            for _ in range(50):
                with db.transaction() as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(bump, range(THREADS)))
        with db.transaction() as session:
            # Read-modify-write with no lost update: each transaction had the connection to itself.
            assert session.execute(text("SELECT n FROM counter")).scalar_one() == THREADS * 50
        with db.transaction(), pytest.raises(RuntimeError, match="Nested"), db.transaction():
            pass
    finally:
        db.dispose()
