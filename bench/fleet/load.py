"""The client side: every request the fleet test sends, recorded with what came back and when.

Requests alternate between the instances. A refused connection (the instance is down) is
retried at once on the other one, as a reverse proxy would; an upload, domain create or
scan that got no answer or a 5xx/429 is retried later like a careful client, so that in
the end every generated report should be stored exactly once.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .procs import Timeline
from .reports import GeneratedReport

UPLOAD_ATTEMPTS = 6
RETRY_PAUSE = 1.0
MAX_PAUSE = 6.0
TIMEOUT = httpx.Timeout(20.0, connect=3.0)


@dataclass
class Outcome:
    """One HTTP request: where it went, when (seconds on the run's clock) and what came back."""

    seq: int
    kind: str
    instance: str
    method: str
    path: str
    start: float
    end: float
    status: int | None
    error: str | None = None  # the transport error, when no answer came
    code: str | None = None  # the envelope's error code
    message: str | None = None
    retry_after: str | None = None
    request_id: str = ""
    key: tuple[str, str] | None = None  # the report, for uploads
    duplicate: bool | None = None
    subject: str | None = None  # the domain name, for creates
    limit: str | None = None  # X-RateLimit-Limit and -Remaining: equal when nothing was counted
    remaining: str | None = None
    down: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.error == "ConnectError"


def pause(outcome: Outcome) -> float:
    """Seconds to wait before trying again: Retry-After when the answer gave one, within bounds."""
    try:
        return min(MAX_PAUSE, max(RETRY_PAUSE, float(outcome.retry_after or RETRY_PAUSE)))
    except ValueError:
        return RETRY_PAUSE


class Driver:
    """Sends requests round-robin to the instances and keeps every outcome."""

    def __init__(self, timeline: Timeline, urls: dict[str, str], token: str, org_id: str) -> None:
        self.timeline = timeline
        self.names = list(urls)
        self.org_id = org_id
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
        self.clients = {
            name: httpx.Client(base_url=url, timeout=TIMEOUT, limits=limits) for name, url in urls.items()
        }
        self.token = token
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._turn = itertools.count()
        self.closed = False

    def close(self) -> None:
        self.closed = True
        for c in self.clients.values():
            c.close()

    def next_instance(self) -> str:
        return self.names[next(self._turn) % len(self.names)]

    def other(self, name: str) -> str:
        return self.names[(self.names.index(name) + 1) % len(self.names)]

    def request(self, kind: str, instance: str, method: str, path: str, *, token: str | None = None,
                key: tuple[str, str] | None = None, subject: str | None = None,
                **kw: Any) -> tuple[Outcome, Any]:
        """One request, recorded; returns the outcome and the JSON body (None when there is none)."""
        seq = next(self._seq)
        rid = f"fleet-{seq:06d}"
        headers = {"Authorization": f"Bearer {token or self.token}", "X-Request-Id": rid, **kw.pop("headers", {})}
        start = self.timeline.now()
        body: Any = None
        if self.closed:  # the run is being torn down: answer at once, record nothing
            return Outcome(seq, kind, instance, method, path, start, start, None, error="Stopped"), None
        try:
            r = self.clients[instance].request(method, path, headers=headers, **kw)
        except (httpx.TransportError, RuntimeError) as exc:  # RuntimeError: closed while in flight
            outcome = Outcome(seq, kind, instance, method, path, start, self.timeline.now(), None,
                              error=type(exc).__name__, request_id=rid, key=key, subject=subject)
        else:
            try:
                body = r.json()
            except ValueError:
                body = None
            error: dict[str, Any] = {}
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                error = body["error"]
            data = body.get("data") if isinstance(body, dict) else None
            outcome = Outcome(
                seq, kind, instance, method, path, start, self.timeline.now(), r.status_code,
                code=error.get("code"), message=(error.get("message") or (r.text[:200] if r.status_code >= 500
                                                                          and not error else None)),
                retry_after=r.headers.get("retry-after"), request_id=r.headers.get("x-request-id", rid), key=key,
                duplicate=data.get("duplicate") if isinstance(data, dict) else None, subject=subject,
                limit=r.headers.get("x-ratelimit-limit"), remaining=r.headers.get("x-ratelimit-remaining"),
            )
        with self._lock:
            self.outcomes.append(outcome)
        return outcome, body

    def routed(self, kind: str, method: str, path: str, instance: str | None = None,
               **kw: Any) -> tuple[Outcome, Any]:
        """A request to the next instance; refused there, sent again to the other one."""
        name = instance or self.next_instance()
        outcome, body = self.request(kind, name, method, path, **kw)
        if outcome.refused:
            outcome, body = self.request(kind, self.other(name), method, path, **kw)
        return outcome, body

    # --- the operations -------------------------------------------------------------------

    def read(self, kind: str, path: str) -> None:
        self.routed(kind, "GET", path)

    def upload(self, report: GeneratedReport, instance: str | None = None, kind: str = "upload",
               timeout: float | None = None, attempts: int = UPLOAD_ATTEMPTS) -> Outcome:
        """Upload until an answer says stored (201) or already stored (200), within the attempts;
        between attempts it waits as long as Retry-After says (1 to MAX_PAUSE seconds).

        `timeout`: seconds to wait for each answer (a large report takes long on a busy machine)."""
        extra: dict[str, Any] = {"timeout": httpx.Timeout(timeout, connect=3.0)} if timeout else {}
        path = f"/api/organizations/{self.org_id}/reports"
        name = instance or self.next_instance()
        outcome: Outcome | None = None
        for attempt in range(attempts):
            outcome, _ = self.routed(kind if attempt == 0 else "upload (retry)", "POST", path, name,
                                     content=report.body, headers={"Content-Type": report.media_type},
                                     key=report.key, **extra)
            if outcome.status in (200, 201) or (outcome.status is not None and 400 <= outcome.status < 500
                                                and outcome.status != 429):
                return outcome
            if self.closed:
                break
            name = self.other(name)
            time.sleep(pause(outcome))
        assert outcome is not None
        return outcome

    def upload_twice_at_once(self, report: GeneratedReport) -> None:
        """The same report sent to every instance at the same moment."""
        barrier = threading.Barrier(len(self.names))

        def send(name: str) -> None:
            barrier.wait(timeout=10)
            self.upload(report, name, kind="upload (same report, every instance at once)")

        threads = [threading.Thread(target=send, args=(n,)) for n in self.names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def create_domain(self, name: str) -> None:
        path = f"/api/organizations/{self.org_id}/domains"
        for attempt in range(3):
            outcome, _ = self.routed("domain create" if attempt == 0 else "domain create (retry)", "POST", path,
                                     json={"domain": name}, subject=name)
            if outcome.status is not None and outcome.status < 500 and outcome.status != 429:
                return
            time.sleep(pause(outcome))

    def scan(self, domain_id: str) -> None:
        self.routed("scan", "POST", f"/api/domains/{domain_id}/scan")

    def burst(self, kind: str, token: str, count: int, parallel: int = 6) -> list[Outcome]:
        """`count` GET /api/me for one organization, alternating instances, `parallel` at a time."""
        results: list[Outcome] = []
        lock = threading.Lock()
        turns = iter(range(count))

        def worker() -> None:
            for i in turns:
                outcome, _ = self.request(kind, self.names[i % len(self.names)], "GET", "/api/me", token=token)
                with lock:
                    results.append(outcome)

        threads = [threading.Thread(target=worker) for _ in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results


def paced(ops: Sequence[Any], duration: float, pool: Any, timeline: Timeline, deadline: float) -> list[Any]:
    """Submit op i at i * duration / len(ops) seconds from now (stops at `deadline`); returns futures."""
    start = timeline.now()
    step = duration / max(1, len(ops))
    futures = []
    for i, op in enumerate(ops):
        due = start + i * step
        while timeline.now() < due:
            time.sleep(min(0.05, due - timeline.now()))
        if timeline.now() > deadline:
            break
        futures.append(pool.submit(op))
    return futures
