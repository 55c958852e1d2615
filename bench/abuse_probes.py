"""Probes of the report path and of concurrency: D3-D10, D14 (D1, D2, D11, D13 are in
abuse_http.py). Each builds its files first, then runs under the watcher."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

import abuse_files as files
import httpx
from abuse_http import d1_chunked_bodies, d2_huge_headers, d11_malformed, d13_trailing_slash
from abuse_support import HEALTH_BAR_MS, Outcome, fmt_counts, status_of

if TYPE_CHECKING:
    from bench_abuse import Bench, Org

MB = 1_000_000
# The client's patience: a real report stores in seconds, and a bomb must be refused sooner
# than this; an answer later than it counts as "timeout" (the work itself ends with the server).
UPLOAD_TIMEOUT = 30.0


def upload(b: Bench, o: Outcome, org: Org, data: bytes, content_type: str, timeout: float = 60,
           kinds: Counter[str] | None = None) -> tuple[str, httpx.Response | None]:
    with b.client(org.token, timeout=timeout) as http:
        status, r = status_of(o, lambda: http.post(f"/api/organizations/{org.id}/reports", content=data,
                                                   headers={"Content-Type": content_type}))
    if kinds is not None:
        kinds[status] += 1
    return status, r


def _message(r: httpx.Response | None) -> str:
    if r is None:
        return ""
    try:
        return str(r.json()["error"]["message"])[:140]
    except (ValueError, KeyError, TypeError):
        return r.text[:140]


def writer(b: Bench, o: Outcome, org: Org, stop: threading.Event, kinds: Counter[str]) -> None:
    """Small writes while the uploads run: a domain PATCH, a token created and revoked."""
    with b.client(org.token, timeout=30) as http:
        i = 0
        while not stop.is_set():
            i += 1
            status, _ = status_of(o, partial(http.patch, f"/api/domains/{org.domain_id}",
                                             json={"description": f"w{i}"}))
            kinds[status] += 1
            status, r = status_of(o, partial(http.post, "/api/tokens", json={"name": f"w{i}"}))
            kinds[status] += 1
            if r is not None and r.status_code == 201:
                token_id = r.json()["data"]["token"]["id"]
                status, _ = status_of(o, partial(http.delete, f"/api/tokens/{token_id}"))
                kinds[status] += 1
            stop.wait(0.05)


def parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda c: c(), calls))


def d3_skipped(b: Bench, o: Outcome) -> None:
    """190,000 skipped records (under the 200,000-record bound, so the report is stored); then the
    report with ?limit=1 four times, and the list."""
    b.fresh()
    org = b.org("D3")
    data = files.skipped_flood(org.domain, f"d3-{b.run}", 190_000)
    sizes: list[int] = []

    def get_size(path: str) -> None:
        with b.client(org.token, timeout=120) as http:
            def call() -> httpx.Response:
                with http.stream("GET", path) as r:
                    sizes.append(sum(len(c) for c in r.iter_bytes()))
                    return r
            status_of(o, call)

    with b.watch(o):
        status, r = upload(b, o, org, data, "application/gzip", timeout=120)
        if r is not None and r.status_code in (200, 201):
            report = r.json()["data"]["report"]
            o.note(f"upload {status}: {len(data) / MB:.2f} MB gzip, skippedCount {report.get('skippedCount')}")
            parallel([lambda: get_size(f"/api/reports/{report['id']}?limit=1")] * 4)
            get_size(f"/api/reports?organizationId={org.id}")
        else:
            o.note(f"upload {status}: {_message(r)}")
    if sizes:
        o.note(f"response bytes: {', '.join(f'{s / MB:.1f} MB' for s in sizes)} (4 x ?limit=1, then the list)")
        o.check(max(sizes) < MB, f"a read answered {max(sizes) / MB:.0f} MB (skipped records not bounded)")


def d4_bombs(b: Bench, o: Outcome) -> None:
    """A gzip-in-gzip of 2.1 M records and a gzip of 1.99 M records, with small writes alongside."""
    b.fresh()
    org = b.org("D4")
    nested = files.nested_bomb(org.domain, f"d4n-{b.run}", 2_100_000)
    bomb = files.record_bomb(org.domain, f"d4b-{b.run}", 1_990_000)
    writes: Counter[str] = Counter()
    stop = threading.Event()
    with b.watch(o):
        w = threading.Thread(target=writer, args=(b, o, org, stop, writes))
        w.start()
        (s1, r1), (s2, r2) = parallel([
            lambda: upload(b, o, org, nested, "application/gzip", timeout=UPLOAD_TIMEOUT),
            lambda: upload(b, o, org, bomb, "application/gzip", timeout=UPLOAD_TIMEOUT)])
        stop.set()
        w.join(60)
    o.note(f"gzip-in-gzip {len(nested) / 1000:.0f} KB: {s1} {_message(r1)}")
    o.note(f"record gzip {len(bomb) / MB:.1f} MB (1.99 M records): {s2} {_message(r2)}")
    o.note(f"writes alongside: {fmt_counts(dict(writes))}")
    o.check(s1 == "422", f"gzip-in-gzip bomb answered {s1} within {UPLOAD_TIMEOUT:.0f} s, not 422")
    o.check(s2 == "422", f"1.99 M-record gzip answered {s2} within {UPLOAD_TIMEOUT:.0f} s, not 422")


def d5_locked(b: Bench, o: Outcome) -> None:
    """8 parallel uploads of 5k-20k-record reports while 4 writers make small writes."""
    b.fresh()
    org = b.org("D5")
    rng = random.Random(5)
    reports = [files.realistic(org.domain, f"d5-{b.run}-{i}", rng.randrange(5_000, 20_001), seed=i) for i in range(8)]
    ups: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    stop = threading.Event()
    with b.watch(o):
        writers = [threading.Thread(target=writer, args=(b, o, org, stop, writes)) for _ in range(4)]
        for t in writers:
            t.start()
        parallel([lambda d=d: upload(b, o, org, d, "application/xml", kinds=ups) for d in reports])
        stop.set()
        for t in writers:
            t.join(60)
    total = sum(len(d) for d in reports)
    o.note(f"uploads ({total / MB:.0f} MB in all): {fmt_counts(dict(ups))}; writes: {fmt_counts(dict(writes))}")


def _act(b: Bench, o: Outcome, kind: str, barrier: threading.Barrier, org_id: str, token: str,
         me: str, other: str) -> str:
    with b.client(token) as http:
        http.get("/api/me")  # a warm connection: both requests leave together
        barrier.wait()
        members = f"/api/organizations/{org_id}/members"
        if kind == "leave":
            return status_of(o, partial(http.delete, f"{members}/{me}"))[0]
        return status_of(o, partial(http.patch, f"{members}/{other}", json={"role": "admin"}))[0]


def _owners_race(b: Bench, o: Outcome, kind: str, trials: int) -> int:
    """Trials of two owners leaving (or demoting each other) at once; how many left no owner."""
    a_id, b_id = b.owner["userId"], b.second["userId"]
    lost = 0
    for n in range(trials):
        with b.client(b.owner["token"]) as http:
            r = http.post("/api/organizations", json={"name": f"D6 {kind} {n} {b.run}"})
            r.raise_for_status()
            org_id = r.json()["data"]["organization"]["id"]
        a_tok = b.token_for(b.owner["token"], org_id)
        with b.client(a_tok) as http:
            http.post(f"/api/organizations/{org_id}/members",
                      json={"email": b.second_email, "role": "owner"}).raise_for_status()
        b_tok = b.token_for(b.second["token"], org_id)
        barrier = threading.Barrier(2)
        results = parallel([partial(_act, b, o, kind, barrier, org_id, a_tok, a_id, b_id),
                            partial(_act, b, o, kind, barrier, org_id, b_tok, b_id, a_id)])
        lost += all(s.startswith("2") for s in results)
    return lost


def d6_last_owner(b: Bench, o: Outcome) -> None:
    b.fresh()
    trials = 15 if b.postgres else 10
    with b.watch(o):
        left = _owners_race(b, o, "leave", trials)
        demoted = _owners_race(b, o, "demote", trials)
    o.check(left == 0, f"two owners leaving at once left zero owners in {left}/{trials} trials")
    o.check(demoted == 0, f"two owners demoting each other left zero owners in {demoted}/{trials} trials")


def d7_counts(b: Bench, o: Outcome) -> None:
    """Counts of 2^53, a report summing past 2^63, a poison total of 2^63-11, then a genuine report."""
    b.fresh()
    org = b.org("D7")
    ip = "185.12.64.7"
    over = files.counts(org.domain, f"d7x-{b.run}", [2**53] * 1100)
    poison = files.counts(org.domain, f"d7p-{b.run}", [2**53] * 1023 + [2**53 - 11], source_ip=ip)
    genuine = files.counts(org.domain, f"d7g-{b.run}", [20, 3, 7], source_ip=ip)
    with b.watch(o), b.client(org.token) as http:
        results = {label: upload(b, o, org, data, "application/xml")
                   for label, data in (("sum > 2^63", over), ("poison 2^63-11", poison), ("genuine", genuine))}
        sources, _ = status_of(o, lambda: http.get(f"/api/domains/{org.domain_id}/sources"))
        stats, _ = status_of(o, lambda: http.get(f"/api/domains/{org.domain_id}/stats"))
    for label, (status, r) in results.items():
        detail = _message(r) if status[0] != "2" else f"messageCount {r.json()['data']['report']['messageCount']}"  # type: ignore[union-attr]
        o.note(f"{label}: {status} {detail}")
        if label != "genuine" and status[0] == "2":
            count = r.json()["data"]["report"]["messageCount"]  # type: ignore[union-attr]
            o.check(count <= 10**12, f"{label} stored with {count} messages (over 10^12)")
    o.check(results["genuine"][0] in ("200", "201"), f"the genuine report after the poison: {results['genuine'][0]}")
    o.note(f"GET sources {sources}, stats {stats}")


def d8_delete(b: Bench, o: Outcome) -> None:
    """Store an 80,000-record report, restart (clean baseline), then measure its DELETE."""
    b.fresh()
    org = b.org("D8")
    data = files.gzip_bytes(files.realistic(org.domain, f"d8-{b.run}", 80_000, seed=8))
    status, r = upload(b, o, org, data, "application/gzip", timeout=240)
    if r is None or r.status_code != 201:
        o.check(False, f"the 80,000-record report was not stored ({status} {_message(r)}); delete not measured")
        return
    report_id = r.json()["data"]["report"]["id"]
    b.fresh()
    with b.watch(o), b.client(org.token, timeout=120) as http:
        status, _ = status_of(o, lambda: http.delete(f"/api/reports/{report_id}"))
    o.note(f"upload 201 ({len(data) / MB:.1f} MB gzip, measured apart), delete {status}")
    o.check(status == "200", f"DELETE answered {status}")


def d9_scans(b: Bench, o: Outcome) -> None:
    """60 concurrent scans against a resolver that answers after a delay; another org reads meanwhile."""
    b.fresh()
    org = b.org("D9", domain=f"scan-{b.run}.example.com")
    polls = [("other org GET /api/me", "/api/me", b.other["token"])]
    with b.watch(o, polls):
        def scan() -> str:
            with b.client(org.token, timeout=120) as http:
                return status_of(o, lambda: http.post(f"/api/domains/{org.domain_id}/scan"))[0]
        parallel([scan] * 60)
    me = o.extra.get(polls[0][0], {})
    slowest = me.get("slowest_ms", 0)
    o.note(f"DNS answers delayed {b.args.dns_delay_ms:.0f} ms")
    o.check(slowest < HEALTH_BAR_MS, f"another organization's GET /api/me took {slowest:.0f} ms")


def d10_uploads(b: Bench, o: Outcome) -> None:
    """8 parallel ~23 MB XML uploads and a 2.3 MB gzip with 60 DKIM results per record."""
    b.fresh()
    org = b.org("D10")
    template = files.sized(org.domain, "TEMPLATE", 23_000_000, seed=10)
    marker = b"<report_id>TEMPLATE</report_id>"
    bodies = [template.replace(marker, f"<report_id>d10-{b.run}-{i}</report_id>".encode(), 1) for i in range(8)]
    dkim = files.many_dkim(org.domain, f"d10d-{b.run}", 2_300_000, seed=10)
    ups: Counter[str] = Counter()
    kinds: list[Counter[str]] = [ups] * 8 + [Counter()]
    with b.watch(o):
        parallel([partial(upload, b, o, org, d, t, kinds=k)
                  for d, t, k in zip([*bodies, dkim], ["application/xml"] * 8 + ["application/gzip"], kinds,
                                     strict=True)])
    o.note(f"8 x {len(template) / MB:.0f} MB: {fmt_counts(dict(ups))}; "
           f"DKIM-heavy {len(dkim) / MB:.1f} MB gzip alongside: {fmt_counts(dict(kinds[-1]))}")


def d14_pool(b: Bench, o: Outcome) -> None:
    """38 concurrent uploads (PostgreSQL: the pool against the thread pool)."""
    if not b.postgres:
        o.skipped = "PostgreSQL only (--postgres URL)"
        return
    b.fresh()
    org = b.org("D14")
    bodies = [files.realistic(org.domain, f"d14-{b.run}-{i}", 10_000, seed=100 + i) for i in range(38)]
    ups: Counter[str] = Counter()
    with b.watch(o):
        parallel([lambda d=d: upload(b, o, org, d, "application/xml", kinds=ups) for d in bodies])
    o.note(f"38 x {len(bodies[0]) / MB:.1f} MB: {fmt_counts(dict(ups))}")


PROBES = [
    ("D1", "20 idle chunked POSTs, no token", d1_chunked_bodies),
    ("D2", "128 MiB headers x4, 32 MiB Authorization", d2_huge_headers),
    ("D3", "190k skipped records, ?limit=1 x4, list", d3_skipped),
    ("D4", "gzip-in-gzip bomb, 1.99 M-record gzip", d4_bombs),
    ("D5", "8 parallel uploads + mixed writes", d5_locked),
    ("D6", "two owners leave/demote at once", d6_last_owner),
    ("D7", "counts 2^53, sum > 2^63, poison", d7_counts),
    ("D8", "delete an 80k-record report", d8_delete),
    ("D9", "60 scans, slow resolver", d9_scans),
    ("D10", "8 parallel 23 MB uploads + DKIM-heavy", d10_uploads),
    ("D11", "malformed inputs", d11_malformed),
    ("D13", "GET /api/me/ (Host: evil.example)", d13_trailing_slash),
    ("D14", "38 concurrent uploads", d14_pool),
]
