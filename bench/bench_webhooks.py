"""make bench-webhooks: deliveries per second from the outbox to a loopback receiver that
answers in 50 ms, and the delay from an event's commit to its first attempt (p50/p95).

Two set-ups, as deployed: SQLite with the in-process worker `serve` runs, and PostgreSQL
(a throwaway database on 127.0.0.1:5432) with two `mailsentinel worker` processes. The anchor,
printed in the same run, is the receiver's own ceiling: a plain asyncio client keeping as many
requests in flight as the workers may (PER_ENDPOINT per endpoint and worker) against the same receiver.

Phases per set-up: a burst (N events committed at once; deliveries/s until every one arrived)
and a trickle (events committed one by one, 20 per second; commit-to-arrival per event).
Everything stays on loopback; the run ends by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentinel.app import Services, build_services  # noqa: E402
from sentinel.events import record_event  # noqa: E402
from sentinel.events.delivery import PER_ENDPOINT  # noqa: E402
from sentinel.settings import Settings  # noqa: E402
from sentinel.worker import BackgroundWorker, Worker  # noqa: E402

ANSWER_DELAY = 0.05
KEY = "q0GJ1PKFd1rF0m8eBoIn4BVyBgXcXp1ZWcPzs8VcG0Y="
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class SlowReceiver:
    """Answers every POST with 204 after 50 ms (asyncio, so waiting costs no thread); notes
    when each webhook-id first arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.port = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    arrived = time.time()
                    headers = {}
                    for line in head.decode("latin-1").split("\r\n")[1:]:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                    await reader.readexactly(int(headers.get("content-length", "0")))
                    with self.lock:
                        self.count += 1
                        self.arrivals.setdefault(headers.get("webhook-id", ""), arrived)
                    await asyncio.sleep(ANSWER_DELAY)
                    writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        async def serve() -> None:
            server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
            self.port = server.sockets[0].getsockname()[1]
            started.set()
            async with server:
                await server.serve_forever()

        threading.Thread(target=self.loop.run_until_complete, args=(serve(),), daemon=True).start()
        started.wait(10)
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def wait(self, ids: set[str], timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if ids <= self.arrivals.keys():
                    return time.monotonic()
            time.sleep(0.005)
        missing = len(ids - self.arrivals.keys())
        raise SystemExit(f"{missing} of {len(ids)} deliveries never arrived")

    def close(self) -> None:
        """Nothing to do: the receiver's thread is a daemon and ends with the run."""


def anchor(url: str, concurrency: int, total: int) -> float:
    """Requests/second a plain client reaches against the receiver with `concurrency` in flight."""
    async def run() -> float:
        # A connection per request, as the workers open one per attempt.
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            queue = iter(range(total))

            async def lane() -> None:
                for n in queue:
                    await client.post(url, content=b"{}", headers={"webhook-id": f"anchor-{concurrency}-{n}"})

            start = time.perf_counter()
            await asyncio.gather(*(lane() for _ in range(concurrency)))
            return total / (time.perf_counter() - start)

    return asyncio.run(run())


def _events(services: Services, org_id: str, count: int) -> tuple[list[str], float]:
    with services.db.transaction() as session:
        ids = [record_event(session, services.ids, services.clock, org_id, "report.received", {"n": n}).id
               for n in range(count)]
    return ids, time.time()


def measure(services: Services, receiver: SlowReceiver, burst: int, trickle: int) -> tuple[float, list[float]]:
    boot = services.organizations.bootstrap(f"bench-{secrets.token_hex(4)}@example.com", "Bench", "enterprise")
    principal = services.tokens.authenticate(boot.token)
    services.webhooks.create(principal, boot.organization_id, {"url": receiver.url})
    ids, _ = _events(services, boot.organization_id, burst)
    start = time.monotonic()
    done = receiver.wait(set(ids), timeout=300)
    rate = burst / (done - start)
    delays: list[float] = []
    for _ in range(trickle):
        (event_id,), committed = _events(services, boot.organization_id, 1)
        receiver.wait({event_id}, timeout=60)
        delays.append(receiver.arrivals[event_id] - committed)
        time.sleep(0.05)
    return rate, delays


def report(label: str, rate: float, delays: list[float], ceiling: float, in_flight: int) -> None:
    q = statistics.quantiles(delays, n=20)
    print(f"{label:<34} {rate:6.0f} deliveries/s   commit→first attempt p50 {statistics.median(delays)*1000:4.0f} ms"
          f"  p95 {q[18]*1000:4.0f} ms", flush=True)
    print(f"{'':<34} anchor: a plain client with {in_flight} in flight reaches {ceiling:.0f}/s against the same "
          f"receiver (ideal {in_flight / ANSWER_DELAY:.0f}/s)", flush=True)


def sqlite_run(burst: int, trickle: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    settings = Settings(database_url=f"sqlite:///{tmp / 'bench.db'}", allowed_target_networks=("127.0.0.0/8",),
                        nameservers=("127.0.0.1:9",), log_level="WARNING")
    services = build_services(settings)
    receiver = SlowReceiver()
    worker = BackgroundWorker(Worker(services.jobs, services.clock)).start()
    try:
        rate, delays = measure(services, receiver, burst, trickle)
    finally:
        worker.stop()
        services.db.dispose()
    ceiling = anchor(receiver.url, PER_ENDPOINT, 400)
    receiver.close()
    report("SQLite, serve's in-process worker", rate, delays, ceiling, PER_ENDPOINT)


def postgres_run(burst: int, trickle: int, workers: int) -> None:
    name = f"ms_bench_webhooks_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    procs: list[subprocess.Popen[bytes]] = []
    services = None
    receiver = SlowReceiver()
    try:
        settings = Settings(database_url=url, allowed_target_networks=("127.0.0.0/8",), nameservers=("127.0.0.1:9",),
                            webhook_secret_keys=(KEY,), log_level="WARNING", db_pool_size=4)
        services = build_services(settings)
        env = {**os.environ, "MAILSENTINEL_DATABASE_URL": url, "MAILSENTINEL_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8",
               "MAILSENTINEL_WEBHOOK_SECRET_KEYS": KEY, "MAILSENTINEL_NAMESERVERS": "127.0.0.1:9",
               "MAILSENTINEL_LOG_LEVEL": "WARNING", "MAILSENTINEL_DB_POOL_SIZE": "4"}
        procs = [subprocess.Popen([sys.executable, "-m", "sentinel.cli", "worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL) for _ in range(workers)]
        time.sleep(3)  # let the workers import and connect before the clock starts
        rate, delays = measure(services, receiver, burst, trickle)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if services is not None:
            services.db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    ceiling = anchor(receiver.url, PER_ENDPOINT * workers, 800)
    receiver.close()
    report(f"PostgreSQL, {workers} worker processes", rate, delays, ceiling, PER_ENDPOINT * workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000, help="events in the burst (default 1000)")
    parser.add_argument("--trickle", type=int, default=100, help="events committed one by one (default 100)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="worker processes on PostgreSQL (default 2)")
    args = parser.parse_args()
    print(f"outbox → loopback receiver answering in {ANSWER_DELAY*1000:.0f} ms; burst of {args.events} events, "
          f"then {args.trickle} committed one by one; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores", flush=True)
    if not args.skip_sqlite:
        sqlite_run(args.events, args.trickle)
    if not args.skip_postgres:
        postgres_run(args.events, args.trickle, workers=args.workers)


if __name__ == "__main__":
    main()
