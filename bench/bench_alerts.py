"""Alerts benchmark: the cost of evaluating the rules after an ingestion, and of the scheduler
deciding which of 10,000 domains are due for a rescan.

Run with ``.venv/bin/python bench/bench_alerts.py [--database-url URL]`` (``make bench-alerts``;
default: a temporary SQLite file). Nothing here touches the network.

1. Rule evaluation: 200 generated reports (20 records each from a pool of 40 sending IPs, every
   tenth report with one never seen before; 60% to 99% passing, over 30 days) are stored
   through the ingestion service with the default rules; the rule hook is timed apart from
   the rest. Anchor, same run: the whole ingestion of each report (parse, stage, store,
   rollups, event) without the hook.
2. Scheduler: 10,000 verified domains (bulk-inserted), planned once (spread over 24 h), then
   `ScheduledScans.due` asked what is due at several instants: the batch a worker takes and the
   full list. Anchor, same run: reading every domain's id.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPORTS = 200
RECORDS = 20
DOMAINS = 10_000


def report_xml(n: int, rng: random.Random) -> bytes:
    begin = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) + (n % 30) * 86400
    rate = rng.uniform(0.6, 0.99)
    rows = []
    for i in range(RECORDS):
        # Mostly the domain's usual senders; every tenth report one never seen before.
        ip = f"198.51.100.{rng.randrange(1, 40)}" if i or n % 10 else f"203.0.{n // 250}.{n % 250}"
        count = rng.randrange(10, 500)
        ok = "pass" if rng.random() < rate else "fail"
        rows.append(
            f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
            f"<disposition>none</disposition><dkim>{ok}</dkim><spf>{ok}</spf></policy_evaluated></row>"
            f"<identifiers><header_from>bench.example.com</header_from></identifiers><auth_results>"
            f"<dkim><domain>bench.example.com</domain><selector>s1</selector><result>{ok}</result></dkim>"
            f"<spf><domain>bench.example.com</domain><result>{ok}</result></spf></auth_results></record>"
        )
    return (
        f'<?xml version="1.0"?><feedback><report_metadata><org_name>reporter{n % 8}.example</org_name>'
        f"<email>r@example.net</email><report_id>bench-{n}</report_id><date_range><begin>{begin}</begin>"
        f"<end>{begin + 86399}</end></date_range></report_metadata><policy_published>"
        f"<domain>bench.example.com</domain><p>reject</p></policy_published>{''.join(rows)}</feedback>"
    ).encode()


def services_for(url: str) -> Any:
    from sentinel.app import build_services
    from sentinel.settings import Settings

    return build_services(Settings(database_url=url, nameservers=("127.0.0.1:9",)))


def bench_evaluation(url: str) -> None:
    from sentinel.pagination import PageRequest

    services = services_for(url)
    engine = services.alert_engine
    timings: list[float] = []

    def timed(session: Any, report: Any) -> object:
        started = time.perf_counter()
        result = engine.after_report(session, report)
        timings.append(time.perf_counter() - started)
        return result

    ingestor = services.reports.ingestor
    rng = random.Random(12)
    files = [report_xml(n, rng) for n in range(2 * REPORTS)]
    boot = services.organizations.bootstrap(f"bench{time.time_ns()}@example.com", "Bench alerts", "enterprise")
    principal = services.tokens.authenticate(boot.token)
    services.domains.create(principal, boot.organization_id, "bench.example.com")
    bare = services.organizations.bootstrap(f"bare{time.time_ns()}@example.com", "Bench bare", "enterprise")
    services.domains.create(services.tokens.authenticate(bare.token), bare.organization_id, "bench.example.com")

    whole_with: list[float] = []
    ingestor.after_store = timed
    for data in files[:REPORTS]:
        started = time.perf_counter()
        ingestor.ingest(boot.organization_id, data)
        whole_with.append(time.perf_counter() - started)
    whole_without: list[float] = []
    ingestor.after_store = None
    for data in files[REPORTS:]:
        started = time.perf_counter()
        ingestor.ingest(bare.organization_id, data)
        whole_without.append(time.perf_counter() - started)
    opened = services.alerts.operator_alerts(boot.organization_id, PageRequest(1, 1))
    print(f"rule evaluation after an ingestion ({REPORTS} reports x {RECORDS} records, default rules, {dialect(url)}):")
    print(f"  ours:   median {1e6 * statistics.median(timings):8.0f} us/report, mean "
          f"{1e6 * statistics.fmean(timings):8.0f} us/report  ({opened['pagination']['total']} alerts opened)")
    bare_us, with_us = 1e6 * statistics.median(whole_without), 1e6 * statistics.median(whole_with)
    print(f"  anchor: whole ingestion without the rules, median {bare_us:8.0f} us/report (with them {with_us:.0f})")
    services.db.dispose()


def dialect(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def bench_scheduler(url: str) -> None:
    from sqlalchemy import insert, select

    from sentinel.alerts.jobs import ScheduledScans
    from sentinel.store.models import Domain

    services = services_for(url)
    boot = services.organizations.bootstrap(f"sched{time.time_ns()}@example.com", "Bench scheduler", "enterprise")
    now = datetime(2026, 2, 1, tzinfo=UTC)
    tag = time.time_ns()
    rows = [
        {
            "id": f"dom_bench{tag}x{i}",
            "organization_id": boot.organization_id,
            "name": f"d{i}.bench{tag}.example.com",
            "unicode_name": f"d{i}.bench{tag}.example.com",
            "verification_token": "x" * 32,
            "verified_at": now - timedelta(days=1),
            "dkim_selectors": [],
            "learned_selectors": [],
            "scan_interval_hours": 24,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(DOMAINS)
    ]
    with services.db.transaction() as session:
        session.execute(insert(Domain), rows)
    job = ScheduledScans(services.db, services.scans)
    started = time.perf_counter()
    while job.plan(now):
        pass
    planning = time.perf_counter() - started
    batch, full = [], []
    due = 0
    for hours in (1, 6, 12, 18, 23):
        at = now + timedelta(hours=hours)
        started = time.perf_counter()
        job.due(at)
        batch.append(time.perf_counter() - started)
        started = time.perf_counter()
        due = len(job.due(at, limit=DOMAINS * 2))
        full.append(time.perf_counter() - started)
    with services.db.reading() as connection:
        started = time.perf_counter()
        total = len(connection.execute(select(Domain.id)).all())
        anchor = time.perf_counter() - started
    print(f"scheduler over {DOMAINS:,} verified domains ({dialect(url)}; {total:,} domains in the table):")
    print(f"  ours:   what is due, a worker's batch of {job.batch}: median {statistics.median(batch):.4f} s; "
          f"the full due list: median {statistics.median(full):.4f} s ({due:,} due after 23 h)")
    print(f"          first planning of all {DOMAINS:,}: {planning:.2f} s (once per domain, at verification)")
    print(f"  anchor: reading every domain's id: {anchor:.4f} s")
    services.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-alerts-')) / 'bench.db'}"
    bench_evaluation(url)
    bench_scheduler(url)


if __name__ == "__main__":
    main()
