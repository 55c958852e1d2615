"""`make fleet-test`: two `mailsentinel serve` instances tested as one fleet, under disruption.

Starts, on loopback only: a throwaway PostgreSQL database (created and dropped here), the
run's own redis-server on a free port (so it can be stopped without touching a shared one),
a loopback DNS server for scans, and two `serve` instances sharing both. Then it drives a
bounded, seeded mixed load through both instances (reads, distinct report uploads, the same
report sent to both at once, scans, domain creates) while it terminates PostgreSQL's
connections, stops and restarts Redis, and kill -9s one instance and restarts it.

It prints what was sent, what was stored, whether a plan limit held exactly across the
instances, and every 5xx with what was down at that moment; it exits 1 when a rule in
bench/fleet/verdict.py is broken, 2 when the fleet could not be set up. Everything it
started is stopped and removed at the end, on failure and on SIGINT/SIGTERM too.

Webhooks: the instances run with MAILSENTINEL_SERVE_WORKER=0 and two `mailsentinel worker`
processes deliver every event of the load's organization to a loopback receiver
(bench/fleet/hooks.py) that checks each signature. One worker is kill -9'd while it has
deliveries in flight (found by the source port of a request the receiver is answering) and
started again; after the load the run waits for the outbox to drain, then every event must
have arrived, duplicates only where a worker died or sessions were ended in between.

Usage: .venv/bin/python bench/fleet_test.py [--seed 1] [--duration 60] [--keep-logs]
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet.fleet import MONITORED, WEBHOOK_TIMEOUT, Fleet, Tenant
from fleet.hooks import ANSWER_DELAY, Receiver, delivered_facts, process_with_port
from fleet.load import UPLOAD_ATTEMPTS, Driver, Outcome, paced
from fleet.procs import STOPPING
from fleet.reports import GeneratedReport, generate
from fleet.verdict import (
    RateCheck,
    Stored,
    Verdict,
    judge_deliveries,
    judge_rates,
    judge_reports,
    judge_requests,
    judge_writes,
    sent_table,
)

# The whole run, setup included, is cut off after this many seconds.
HARD_LIMIT = 300
# The report uploaded to instance B as it is killed, and how long after it was sent.
LARGE_INDEX, LARGE_RECORDS, KILL_AFTER = 99999, 20000, 0.5
# Seconds its answer may take: one transaction of 20,000 records takes 7-20 s on a busy 2-core machine.
LARGE_TIMEOUT = 90.0
# Starts of a killed instance before giving up (a supervisor restarts what dies at start).
START_ATTEMPTS = 3
# The limiter tries a Redis it lost again after this many seconds (sentinel/ratelimit/limiter.py).
LIMITER_RETRY = 2.0
# Seconds to wait for a worker with deliveries in flight before killing one anyway.
CATCH_IN_FLIGHT = 8.0
# A killed worker's claims are sent again once their lease ends (sentinel/events/delivery.py:
# 5 attempt timeouts + 2 s); the outbox gets that and a margin to drain after the load.
DRAIN_TIMEOUT = 5 * WEBHOOK_TIMEOUT + 2 + 30.0


class Chaos(threading.Thread):
    """The disruptions, at fixed fractions of the load's duration, each recorded on the timeline."""

    def __init__(self, fleet: Fleet, driver: Driver, duration: float, open_tenant: Tenant,
                 receiver: Receiver | None = None) -> None:
        super().__init__(daemon=True)
        self.fleet = fleet
        self.receiver = receiver
        self.driver = driver
        self.duration = duration
        self.open_tenant = open_tenant
        self.open_burst: list[Outcome] = []
        self.errors: list[str] = []
        self.log: list[str] = []
        self.done = threading.Event()
        self.extra_reports: list[GeneratedReport] = []
        self.pending: list[threading.Thread] = []
        self.warnings: list[str] = []

    def at(self, fraction: float, action: Callable[[], None]) -> None:
        due = self.start_time + fraction * self.duration
        while self.fleet.timeline.now() < due:
            time.sleep(0.05)
        if STOPPING.is_set():
            return
        try:
            action()
        except Exception as exc:  # a failed disruption is reported, the run goes on
            self.errors.append(f"{action.__name__}: {type(exc).__name__}: {exc}")

    def terminate(self) -> None:
        tl = self.fleet.timeline
        d = tl.begin("PostgreSQL connections terminated")
        n = self.fleet.db.terminate_connections()
        tl.end(d)
        d.what = f"PostgreSQL: pg_terminate_backend x{n}"
        self.log.append(f"  +{d.start:6.2f} s  PostgreSQL: pg_terminate_backend ended {n} sessions")

    def terminate_twice(self) -> None:
        self.terminate()
        time.sleep(0.3)
        self.terminate()

    def redis_outage(self) -> None:
        tl, redis = self.fleet.timeline, self.fleet.redis
        assert redis is not None
        d = tl.begin("Redis stopped")
        redis.stop()
        self.log.append(f"  +{d.start:6.2f} s  Redis stopped")
        time.sleep(1.0)
        # Fail open: an organization over its limit is admitted while nothing can count.
        self.open_burst = self.driver.burst("rate limit while Redis is down", self.open_tenant.token,
                                            2 * self.fleet.rate_limit)
        time.sleep(max(0.0, 0.12 * self.duration - (tl.now() - d.start)))
        redis.start()
        tl.end(d)
        self.log.append(f"  +{d.end:6.2f} s  Redis running again (empty: counts restart)")

    def kill_instance(self) -> None:
        tl = self.fleet.timeline
        instance = self.fleet.instances[-1]
        # A large report on its way into B when B dies: retried on A, it must end up stored once.
        large = generate(random.Random(0), LARGE_INDEX, MONITORED[0], records=LARGE_RECORDS)
        self.extra_reports.append(large)
        uploader = threading.Thread(target=self.driver.upload, args=(large, instance.name, "upload (large, to B as "
                                                                     "it is killed)", LARGE_TIMEOUT), daemon=True)
        uploader.start()
        self.pending.append(uploader)
        time.sleep(KILL_AFTER)
        d = tl.begin(f"instance {instance.name} killed", process=instance.name)
        instance.kill9()
        self.log.append(f"  +{d.start:6.2f} s  instance {instance.name}: kill -9")
        if self.fleet.workers:
            self.kill_worker()

        def restart() -> None:
            # In its own thread, so the schedule goes on while the instance starts. An instance
            # that dies while starting is started again, as a supervisor (systemd) would, and
            # the death is reported as a warning.
            for attempt in range(1, START_ATTEMPTS + 1):
                try:
                    ready = instance.start()
                    break
                except Exception as exc:
                    if attempt == START_ATTEMPTS or STOPPING.is_set():
                        self.errors.append(f"restarting {instance.name}: {exc}")
                        return
                    self.warnings.append(f"+{tl.now():.1f} s {exc}; started again")
            tl.end(d)
            self.log.append(f"  +{d.end:6.2f} s  instance {instance.name} answering again ({ready:.1f} s to start)")

        thread = threading.Thread(target=restart, daemon=True)
        thread.start()
        self.pending.append(thread)

    def kill_worker(self) -> None:
        """kill -9 a worker caught with deliveries in flight (else the last one), and start it again."""
        tl, workers = self.fleet.timeline, self.fleet.workers
        worker, in_flight = workers[-1], 0
        deadline = tl.now() + CATCH_IN_FLIGHT
        while self.receiver is not None and tl.now() < deadline:
            ports = self.receiver.ports_in_flight()
            pids = [w.proc.pid for w in workers if w.proc is not None and w.proc.poll() is None]
            pid = process_with_port(pids, ports)
            if pid is not None:
                worker = next(w for w in workers if w.proc is not None and w.proc.pid == pid)
                in_flight = len(ports)
                break
            time.sleep(0.02)
        w = tl.begin(f"{worker.name} killed", process=worker.name)
        worker.kill9()
        worker.start()
        tl.end(w)
        caught = (f"with deliveries in flight ({in_flight} requests at the receiver)" if in_flight
                  else "with no delivery seen in flight")
        self.log.append(f"  +{w.start:6.2f} s  {worker.name}: kill -9 {caught}, restarted")

    def run(self) -> None:
        self.start_time = self.fleet.timeline.now()
        for fraction, action in ((0.10, self.terminate), (0.22, self.redis_outage), (0.45, self.terminate),
                                 (0.52, self.kill_instance), (0.68, self.terminate_twice), (0.85, self.terminate)):
            self.at(fraction, action)
        for t in self.pending:
            t.join()
        self.done.set()


def stored_facts(fleet: Fleet, org_id: str) -> Stored:
    reports: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    with fleet.db.connect() as conn:
        rows = conn.execute(
            """SELECT r.org_name, r.external_id, d.name, r.record_count, r.message_count,
                      (SELECT count(*) FROM report_records x WHERE x.report_id = r.id),
                      (SELECT coalesce(sum(x.count), 0) FROM report_records x WHERE x.report_id = r.id)
               FROM reports r JOIN domains d ON d.id = r.domain_id WHERE r.organization_id = %s""",
            (org_id,),
        ).fetchall()
        for reporter, external, domain, n_col, m_col, n_rows, m_rows in rows:
            # A summary that disagrees with the stored records counts as partly stored.
            n = int(n_rows) if n_col == n_rows else -1
            m = int(m_rows) if m_col == m_rows else -1
            reports.setdefault((reporter, external), []).append((n, m, domain))
        day = conn.execute(
            """SELECT d.name, sum(s.reports), sum(s.messages) FROM report_day_stats s
               JOIN domains d ON d.id = s.domain_id WHERE d.organization_id = %s GROUP BY d.name""", (org_id,)
        ).fetchall()
        src = conn.execute(
            """SELECT d.name, sum(s.messages) FROM report_sources s
               JOIN domains d ON d.id = s.domain_id WHERE d.organization_id = %s GROUP BY d.name""", (org_id,)
        ).fetchall()
        events = conn.execute("SELECT count(*) FROM events WHERE organization_id = %s AND type = 'report.received'",
                              (org_id,)).fetchone()
        scans = conn.execute("SELECT count(*) FROM scans s JOIN domains d ON d.id = s.domain_id "
                             "WHERE d.organization_id = %s", (org_id,)).fetchone()
        domains = conn.execute("SELECT name FROM domains WHERE organization_id = %s", (org_id,)).fetchall()
    return Stored(
        reports=reports,
        day_stats={name: (int(r), int(m)) for name, r, m in day},
        sources={name: int(m) for name, m in src},
        events=int(events[0]) if events else 0,
        scans=int(scans[0]) if scans else 0,
        domains={name for (name,) in domains},
    )


def build_ops(args: argparse.Namespace, rng: random.Random, driver: Driver, domain_ids: list[str]
              ) -> tuple[list[Callable[[], Any]], list[GeneratedReport], set[tuple[str, str]]]:
    reports = [generate(rng, i, rng.choice(MONITORED)) for i in range(args.reports + args.pairs)]
    singles, doubles = reports[: args.reports], reports[args.reports:]
    # /health as a reverse proxy's health check would poll it.
    reads = [("read /health", "/health"), ("read /api/me", "/api/me"), ("read /api/domains", "/api/domains"),
             ("read /api/reports", "/api/reports?limit=20")]
    for d in domain_ids:
        reads += [("read /api/domains/{id}/stats", f"/api/domains/{d}/stats"),
                  ("read /api/domains/{id}/sources", f"/api/domains/{d}/sources?sort=volume")]
    ops: list[Callable[[], Any]] = []
    ops += [lambda r=r: driver.upload(r) for r in singles]
    ops += [lambda r=r: driver.upload_twice_at_once(r) for r in doubles]
    for _ in range(args.reads):
        kind, path = rng.choice(reads)
        ops.append(lambda kind=kind, path=path: driver.read(kind, path))
    targets = [rng.choice(domain_ids) for _ in range(args.scans)]
    ops += [lambda d=d: driver.scan(d) for d in targets]
    ops += [lambda i=i: driver.create_domain(f"new-{i}.example.com") for i in range(args.creates)]
    rng.shuffle(ops)
    return ops, reports, {r.key for r in doubles}


def run(fleet: Fleet, args: argparse.Namespace) -> int:
    tl = fleet.timeline
    print(f"MailSentinel fleet test: seed {args.seed}, {args.duration:.0f} s of load, loopback only")
    fleet.start()
    main_tenant = fleet.bootstrap("load", "enterprise")
    limited = [fleet.bootstrap(f"limited{i}", "free") for i in (1, 2, 3)]
    assert fleet.redis is not None and fleet.dns is not None
    names = ", ".join(f"{i.name} {i.url}" for i in fleet.instances)
    print(f"  instances: {names}; PostgreSQL database {fleet.db.name}; Redis 127.0.0.1:{fleet.redis.port} "
          f"(key prefix {fleet.prefix}); DNS {fleet.dns.nameserver}")
    if not fleet.workers:
        raise RuntimeError("`mailsentinel worker` is missing: the fleet needs it to deliver webhooks")
    driver = Driver(tl, {i.name: i.url for i in fleet.instances}, main_tenant.token, main_tenant.org_id)
    receiver = Receiver(tl)
    # Before any domain exists: every event of the load's organization is the endpoint's.
    outcome, body = driver.routed("setup: webhook create", "POST",
                                  f"/api/organizations/{main_tenant.org_id}/webhooks",
                                  json={"url": receiver.url, "description": "fleet test receiver"})
    if outcome.status != 201:
        driver.close()
        receiver.close()
        raise RuntimeError(f"setup: creating the webhook answered {outcome.status} {outcome.message}")
    receiver.secret = body["data"]["secret"]
    webhook_id = body["data"]["webhook"]["id"]
    print(f"  workers: {', '.join(w.name for w in fleet.workers)} (`mailsentinel {fleet.worker_command}`, the "
          f"instances with MAILSENTINEL_SERVE_WORKER=0); webhook {webhook_id} -> {receiver.url} "
          f"(answers after {ANSWER_DELAY:g} s)")
    try:
        return drive(fleet, args, driver, main_tenant, limited, receiver, webhook_id)
    finally:
        driver.close()
        receiver.close()


def drain(fleet: Fleet, receiver: Receiver, webhook_id: str) -> float:
    """Wait until every event to deliver has arrived and is recorded, or DRAIN_TIMEOUT; returns seconds waited."""
    tl = fleet.timeline
    began = tl.now()
    while tl.now() - began < DRAIN_TIMEOUT:
        facts = delivered_facts(fleet.db, webhook_id)
        arrived = receiver.snapshot()
        if all(k in arrived and facts.deliveries.get(k) == "succeeded" for k in facts.expected):
            break
        time.sleep(0.5)
    return tl.now() - began


def drive(fleet: Fleet, args: argparse.Namespace, driver: Driver, main_tenant: Tenant,
          limited: list[Tenant], receiver: Receiver, webhook_id: str) -> int:
    tl = fleet.timeline
    rng = random.Random(args.seed)
    domain_ids = []
    for name in MONITORED:
        outcome, body = driver.routed("setup: domain create", "POST",
                                      f"/api/organizations/{main_tenant.org_id}/domains", json={"domain": name})
        if outcome.status != 201:
            raise RuntimeError(f"setup: creating {name} answered {outcome.status} {outcome.message}")
        domain_ids.append(body["data"]["domain"]["id"])
    checks = [RateCheck("rate limit", fleet.rate_limit,
                        driver.burst("rate limit", limited[0].token, 3 * fleet.rate_limit), exact=True)]

    ops, reports, pairs = build_ops(args, rng, driver, domain_ids)
    chaos = Chaos(fleet, driver, args.duration, limited[2], receiver)
    load_start = tl.now()
    deadline = load_start + args.duration * 2
    pool = ThreadPoolExecutor(max_workers=args.concurrency)
    try:
        chaos.start()
        futures = paced(ops, args.duration, pool, tl, deadline)
        errors = [f.exception() for f in futures]
    finally:
        # Interrupted: queued operations are dropped, running ones end on the closed driver.
        pool.shutdown(wait=False, cancel_futures=True)
    chaos.done.wait(timeout=args.duration)
    load_end = tl.now()

    # Everything the disruptions restarted must be running now, or the rest proves nothing.
    alive = fleet.dead_processes()
    # Redis has been back for a while; the limiter of each instance retries it on its next
    # request after LIMITER_RETRY seconds, so count again only once both have.
    time.sleep(LIMITER_RETRY + 0.5)
    for instance in fleet.instances:
        driver.request("setup: limiter warm-up", instance.name, "GET", "/api/me")
    checks.append(RateCheck("rate limit after the outages", fleet.rate_limit,
                            driver.burst("rate limit after the outages", limited[1].token, 3 * fleet.rate_limit),
                            exact=True))
    checks.append(RateCheck("rate limit while Redis is down", fleet.rate_limit, chaos.open_burst, exact=False))

    # Like a client with a queue: anything not yet accepted is sent once more, all services up.
    reports = reports + chaos.extra_reports
    accepted = {o.key for o in driver.outcomes if o.key is not None and o.status in (200, 201)}
    for report in reports:
        if report.key not in accepted:
            driver.upload(report, kind="upload (final retry)", attempts=2 * UPLOAD_ATTEMPTS)

    stored = stored_facts(fleet, main_tenant.org_id)
    waited = drain(fleet, receiver, webhook_id)
    delivered = delivered_facts(fleet.db, webhook_id)
    worker_names = {w.name for w in fleet.workers}
    # What can make a delivery arrive twice: its worker killed, or its session ended, after the send.
    redelivery_causes = [(d.what, d.start, d.end if d.end is not None else tl.now()) for d in tl.disruptions
                         if d.process in worker_names or d.what.startswith("PostgreSQL")]
    for o in driver.outcomes:
        o.down = tl.down_during(o.start, o.end, o.instance)
    causes: dict[str, str] = {}
    for instance in fleet.instances:
        causes.update(instance.unhandled_errors())

    v = Verdict()
    v.say(f"load: {len(ops)} operations over {load_end - load_start:.1f} s, {args.concurrency} at a time; "
          f"{len(driver.outcomes)} requests in all")
    v.say("disruptions (time since start):")
    v.lines += sorted(chaos.log, key=lambda line: float(line.split("s")[0].strip(" +"))) or ["  none"]
    v.say("sent (requests by kind and answer):")
    sent_table(v, driver.outcomes)
    v.say("stored (the load's organization):")
    judge_reports(v, reports, driver.outcomes, stored, pairs)
    for large in chaos.extra_reports:
        path = " -> ".join(f"{o.instance} {o.status or o.error}{' duplicate' if o.duplicate else ''} "
                           f"(+{o.start:.1f}-{o.end:.1f} s)" for o in driver.outcomes if o.key == large.key)
        v.say(f"  the {large.records}-record report sent to B as it was killed: {path}")
    judge_writes(v, driver.outcomes, stored)
    v.say("rate limits (GET /api/me for one organization, alternating instances, 6 in parallel):")
    judge_rates(v, checks)
    v.say(f"delivered (webhook {webhook_id}, two workers; after the load and the final retries the outbox "
          f"needed {waited:.1f} s more):")
    judge_deliveries(v, delivered, receiver.snapshot(), redelivery_causes)
    judge_requests(v, driver.outcomes, causes)
    for name in alive:
        v.fail(f"{name} was not running after the disruptions")
    for e in chaos.errors:
        v.fail(f"disruption failed: {e}")
    for e in errors:
        if e is not None:
            v.fail(f"load operation raised {type(e).__name__}: {e}")
    if len(ops) > len(errors):
        v.fail(f"only {len(errors)} of {len(ops)} operations started before the deadline")
    v.say("warnings (not failures):")
    v.lines += [f"  {w}" for w in chaos.warnings] or ["  none"]
    v.say(f"elapsed: {tl.now():.0f} s in all (setup included)")
    print("\n".join(v.lines))
    if v.failures:
        print(f"FAILED: {len(v.failures)} problem(s)")
        for f in v.failures:
            print(f"  - {f}")
        return 1
    print("PASSED: nothing lost, nothing stored twice, every event delivered, limits exact, no 500, every 5xx "
          "a 503 with Retry-After while a dependency was down")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds over which the load is spread")
    parser.add_argument("--reports", type=int, default=100, help="distinct reports uploaded once")
    parser.add_argument("--pairs", type=int, default=20, help="reports uploaded to both instances at once")
    parser.add_argument("--reads", type=int, default=320)
    parser.add_argument("--scans", type=int, default=24)
    parser.add_argument("--creates", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate-limit", type=int, default=20, help="requests/minute of the measured plan")
    parser.add_argument("--keep-logs", action="store_true", help="keep the instances' logs (path printed)")
    args = parser.parse_args()

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    def too_long(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"the run took over {HARD_LIMIT} s")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(HARD_LIMIT)
    workdir = Path(tempfile.mkdtemp(prefix="mailsentinel-fleet-"))
    fleet = Fleet(workdir, args.rate_limit)
    code = 2
    try:
        code = run(fleet, args)
    except (Exception, KeyboardInterrupt, SystemExit) as exc:
        print(f"fleet test aborted: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 2
    finally:
        signal.alarm(0)
        problems = fleet.close(keep=args.keep_logs)
        for p in problems:
            print(f"cleanup: {p}", file=sys.stderr)
        print(f"cleaned up: instances and Redis stopped, database {fleet.db.name} dropped"
              + (f"; logs kept in {workdir}" if args.keep_logs else ""))
    sys.exit(code)


if __name__ == "__main__":
    main()
