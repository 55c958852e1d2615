"""Domain lists are cached per process under versions the database bumps itself (migration
0010): whoever changes a domain, by whatever path, the next list shows it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

from sqlalchemy import text

from sentinel.app import Services
from sentinel.store.versions import domains_version
from tests.support.api import Tenant


def _listed(tenant: Tenant, **params: Any) -> dict[str, dict[str, Any]]:
    data = tenant.data(tenant.get("/api/domains", params=params))
    return {d["domain"]: d for d in data["domains"]}


def _version(services: Services, org_id: str) -> int:
    return services.domains.pages.versions([domains_version(org_id)])[0]


def _in_another_process(services: Services, sql: str, **params: Any) -> None:
    """Run one statement from a process of its own, as another instance or an administrator would."""
    script = (
        "import json, sys\n"
        "from sqlalchemy import create_engine, text\n"
        "engine = create_engine(sys.argv[1])\n"
        "with engine.begin() as c:\n"
        "    c.execute(text(sys.argv[2]), json.loads(sys.argv[3]))\n"
    )
    subprocess.run([sys.executable, "-c", script, services.db.url, sql, json.dumps(params)], check=True, timeout=60)


def test_every_way_of_changing_a_domain_shows_in_the_next_list(tenant: Tenant, services: Services) -> None:
    first = tenant.create_domain("cache-one.example.com")
    assert set(_listed(tenant)) == {"cache-one.example.com"}
    assert _listed(tenant) == _listed(tenant)  # a cached answer, the same

    tenant.create_domain("cache-two.example.com")
    assert set(_listed(tenant)) == {"cache-one.example.com", "cache-two.example.com"}

    tenant.data(tenant.patch(f"/api/domains/{first['id']}", json={"description": "through the API"}))
    assert _listed(tenant)["cache-one.example.com"]["description"] == "through the API"

    # Another process, past every code path of this one: the database's triggers bump the version.
    _in_another_process(services, "UPDATE domains SET description = :d WHERE id = :id", d="by hand", id=first["id"])
    assert _listed(tenant)["cache-one.example.com"]["description"] == "by hand"
    _in_another_process(services, "DELETE FROM domains WHERE id = :id", id=first["id"])
    assert set(_listed(tenant)) == {"cache-two.example.com"}

    two = _listed(tenant)["cache-two.example.com"]
    tenant.data(tenant.delete(f"/api/domains/{two['id']}"))
    assert _listed(tenant) == {}


def test_filters_and_pages_are_cached_apart(tenant: Tenant, services: Services) -> None:
    for name in ("alpha.example.com", "beta.example.com", "gamma.example.com"):
        tenant.create_domain(name)
    page1 = tenant.data(tenant.get("/api/domains", params={"limit": 2}))
    page2 = tenant.data(tenant.get("/api/domains", params={"limit": 2, "page": 2}))
    found = tenant.data(tenant.get("/api/domains", params={"q": "gam"}))
    assert [d["domain"] for d in page1["domains"]] == ["alpha.example.com", "beta.example.com"]
    assert [d["domain"] for d in page2["domains"]] == ["gamma.example.com"]
    assert [d["domain"] for d in found["domains"]] == ["gamma.example.com"]
    assert page1["pagination"]["total"] == 3
    beta = _listed(tenant)["beta.example.com"]["id"]
    with services.db.transaction() as session:
        session.execute(text("UPDATE domains SET verified_at = created_at WHERE id = :id"), {"id": beta})
    assert [d["domain"] for d in tenant.data(tenant.get("/api/domains", params={"verified": True}))["domains"]] == [
        "beta.example.com"
    ]
    assert _listed(tenant)["beta.example.com"]["verified"] is True


def test_an_organization_deleted_with_its_domains_bumps_its_version(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("cascade.example.com")
    before = _version(services, tenant.org_id)
    with services.db.transaction() as session:
        session.execute(text("DELETE FROM organizations WHERE id = :id"), {"id": tenant.org_id})
    assert _version(services, tenant.org_id) > before  # the cascade's deletes fired the trigger


def test_parallel_writers_each_bump_the_counter_once(tenant: Tenant, services: Services, other: Tenant) -> None:
    """Counters are bumped in the database: parallel creations in two organizations lose no bump
    and deadlock on nothing; every list afterwards shows every domain."""
    start = (_version(services, tenant.org_id), _version(services, other.org_id))
    errors: list[BaseException] = []

    def create(owner: Tenant, worker: int) -> None:
        try:
            for i in range(5):
                owner.create_domain(f"w{worker}-{i}.parallel.example.com")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(owner, n)) for n in range(4) for owner in (tenant, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert _version(services, tenant.org_id) - start[0] == 20
    assert _version(services, other.org_id) - start[1] == 20
    assert len(_listed(tenant, limit=100)) == 20 and len(_listed(other, limit=100)) == 20


def test_the_triggers_exist_at_head(services: Services) -> None:
    """A later migration that rebuilds the domains table (SQLite's batch mode does) must
    create them again, or lists would go stale: this fails first."""
    with services.db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'domains'")
            )
        else:
            rows = connection.execute(
                text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'domains'::regclass AND NOT tgisinternal")
            )
        names = {r[0] for r in rows}
    assert {"domains_versions_insert", "domains_versions_update", "domains_versions_delete"} <= names


def test_a_cache_of_no_pages_computes_every_time(services: Services) -> None:
    from sentinel.store.versions import VersionedCache

    calls: list[int] = []
    off: VersionedCache[int] = VersionedCache(services.db, 0)
    kept: VersionedCache[int] = VersionedCache(services.db, 4)
    for cache in (off, kept):
        for _ in range(3):
            cache.get("key", [domains_version("org_none")], lambda: calls.append(1) or len(calls))
    assert len(calls) == 3 + 1


def test_a_kept_page_keeps_its_etag_until_the_domains_change(tenant: Tenant) -> None:
    domain = tenant.create_domain("etag-kept.example.com")
    first = tenant.get("/api/domains")
    etag = first.headers["etag"]
    again = tenant.get("/api/domains", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    tenant.data(tenant.patch(f"/api/domains/{domain['id']}", json={"description": "changed"}))
    changed = tenant.get("/api/domains", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["data"]["domains"][0]["description"] == "changed"
