"""What the fleet test prints and the rules that fail it.

Fails on: a 500; a 503 or 429 without Retry-After; any 5xx, or a request left unanswered,
while nothing it depends on was down; any other 4xx (every request sent is valid); a report
accepted but not stored, stored twice, stored partly, or never accepted; rollups or events
out of step with the stored reports; a plan limit not exact across the instances while Redis
was up; an acknowledged write missing; a webhook event not delivered, delivered unsigned, or
delivered twice where no worker died and no session was ended in between.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .hooks import Arrival, Delivered
from .load import Outcome
from .reports import GeneratedReport

RATE_KINDS = ("rate limit", "rate limit after the outages", "rate limit while Redis is down")


@dataclass
class Stored:
    """What the database holds for the load's organization at the end."""

    reports: dict[tuple[str, str], list[tuple[int, int, str]]]  # key -> [(records, messages, domain name)]
    day_stats: dict[str, tuple[int, int]]  # domain -> (reports, messages)
    sources: dict[str, int]  # domain -> messages
    events: int
    scans: int
    domains: set[str]


@dataclass
class RateCheck:
    label: str
    limit: int
    outcomes: list[Outcome]
    exact: bool  # whether admitted must equal the limit (Redis up) or is only reported


@dataclass
class Verdict:
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        self.lines.append(text)

    def fail(self, text: str) -> None:
        self.failures.append(text)


def _bucket(o: Outcome) -> str:
    if o.status is None:
        return "refused" if o.refused else "no answer"
    if o.status == 429:
        return "429"
    return f"{o.status // 100}xx"


def sent_table(v: Verdict, outcomes: list[Outcome]) -> None:
    columns = ("2xx", "4xx", "429", "5xx", "refused", "no answer")
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        table[o.kind][_bucket(o)] += 1
    width = max(len(k) for k in table) if table else 10
    v.say(f"  {'request kind':<{width}} {'sent':>5} " + " ".join(f"{c:>9}" for c in columns))
    for kind in sorted(table):
        row = table[kind]
        v.say(f"  {kind:<{width}} {sum(row.values()):>5} " + " ".join(f"{row.get(c, 0):>9}" for c in columns))
    v.say("  (refused: the instance was down and the request went to the other one)")


def judge_requests(v: Verdict, outcomes: list[Outcome], causes: dict[str, str]) -> None:
    """Every 5xx with its time, what was down and the server's logged cause; the request rules."""
    v.say("5xx answers (time since start, instance, request, what was down, cause in the server log):")
    fives = [o for o in outcomes if o.status is not None and o.status >= 500]
    for o in sorted(fives, key=lambda o: o.start):
        down = "; ".join(o.down) or "NOTHING"
        cause = causes.get(o.request_id) or o.message or ""
        v.say(f"  +{o.start:6.2f}-{o.end:6.2f} s {o.instance} {o.method} {o.path} -> {o.status} {o.code or ''} "
              f"Retry-After={o.retry_after or '-'}  down: {down}  cause: {cause}")
        if o.status == 500:
            v.fail(f"500 at +{o.start:.1f} s on {o.instance} {o.method} {o.path} (down: {down}): {cause}")
        elif o.status == 503 and not o.retry_after and o.path != "/health":  # /health: documented without
            v.fail(f"503 without Retry-After at +{o.start:.1f} s on {o.instance} {o.method} {o.path}")
        if not o.down and o.status != 500:
            v.fail(f"{o.status} while nothing was down at +{o.start:.1f} s on {o.instance} {o.method} {o.path}")
    if not fives:
        v.say("  none")
    unanswered = [o for o in outcomes if o.status is None and not o.down]
    for o in unanswered:
        v.fail(f"{o.error} (no answer) while nothing was down at +{o.start:.1f} s on {o.instance} "
               f"{o.method} {o.path}")
    for o in outcomes:
        if o.status == 429 and not o.retry_after:
            v.fail(f"429 without Retry-After at +{o.start:.1f} s on {o.instance} {o.method} {o.path}")
        # A 429 is back-pressure (plan limit, or a cap on uploads or scans in flight): allowed.
        if o.status is None or not 400 <= o.status < 500 or o.status == 429:
            continue
        if o.status == 409 and o.kind == "domain create (retry)":
            continue  # created by the attempt whose answer was lost
        v.fail(f"unexpected {o.status} {o.code} at +{o.start:.1f} s on {o.instance} {o.method} {o.path}: "
               f"{o.message}")


def judge_reports(v: Verdict, generated: Iterable[GeneratedReport], outcomes: list[Outcome], stored: Stored,
                  pairs: set[tuple[str, str]]) -> None:
    reports = {r.key: r for r in generated}
    uploads = [o for o in outcomes if o.key is not None]
    accepted = {o.key for o in uploads if o.key is not None and o.status in (200, 201)}
    created = Counter(o.key for o in uploads if o.key is not None and o.status == 201)
    lost = sorted(k for k in accepted if k not in stored.reports)
    never = sorted(k for k in reports if k not in accepted)
    twice = sorted(k for k, rows in stored.reports.items() if len(rows) > 1)
    twice_created = sorted(k for k, n in created.items() if n > 1)
    strangers = sorted(k for k in stored.reports if k not in reports)
    partial = sorted(
        k for k, rows in stored.reports.items() if k in reports
        and any((n, m) != (reports[k].records, reports[k].messages) for n, m, _ in rows)
    )
    stored_rows = sum(len(rows) for rows in stored.reports.values())
    v.say(f"  distinct reports generated {len(reports)}, uploads sent {len(uploads)} "
          f"(first tries {sum(1 for o in uploads if 'retry' not in o.kind)}, retries "
          f"{sum(1 for o in uploads if 'retry' in o.kind)})")
    v.say(f"  accepted (some upload answered 201 or 200): {len(accepted)}; answered 201: {len(created)}; "
          f"stored in the database: {stored_rows} rows, {len(stored.reports)} distinct")
    v.say(f"  lost (accepted, not stored): {len(lost)}; stored twice: {len(twice)}; 201 twice: "
          f"{len(twice_created)}; never accepted: {len(never)}; stored partly: {len(partial)}; "
          f"not ours: {len(strangers)}")
    pair_ok = sum(1 for k in pairs if created.get(k) == 1 and any(
        o.key == k and o.status == 200 and o.duplicate for o in uploads))
    v.say(f"  same report sent to both instances at once: {len(pairs)} pairs, {pair_ok} answered one 201 "
          "and one 200 duplicate:true")
    for label, keys in (("lost", lost), ("stored twice", twice), ("answered 201 twice", twice_created),
                        ("never accepted", never), ("stored partly", partial), ("not generated", strangers)):
        if keys:
            v.fail(f"reports {label}: {len(keys)} (e.g. {keys[:3]})")
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for rows in stored.reports.values():
        for _, messages, domain in rows:
            expected[domain][0] += 1
            expected[domain][1] += messages
    for domain in sorted(set(expected) | set(stored.day_stats) | set(stored.sources)):
        want = tuple(expected.get(domain, (0, 0)))
        got = stored.day_stats.get(domain, (0, 0))
        src = stored.sources.get(domain, 0)
        state = "ok" if got == want and src == want[1] else "MISMATCH"
        v.say(f"  {domain}: reports {want[0]}, messages {want[1]}; daily rollup {got[0]}/{got[1]}, "
              f"per-IP rollup messages {src}: {state}")
        if state != "ok":
            v.fail(f"rollups of {domain} out of step: reports table {want}, daily {got}, per-IP {src}")
    v.say(f"  report.received events: {stored.events} for {stored_rows} stored reports")
    if stored.events != stored_rows:
        v.fail(f"{stored.events} report.received events for {stored_rows} stored reports")


def judge_rates(v: Verdict, checks: list[RateCheck]) -> None:
    for check in checks:
        admitted = [o for o in check.outcomes if o.status == 200]
        limited = [o for o in check.outcomes if o.status == 429]
        other = [o for o in check.outcomes if o.status not in (200, 429)]
        per = Counter(o.instance for o in admitted)
        split = ", ".join(f"{name} {n}" for name, n in sorted(per.items()))
        # The limiter reports "nothing used" (Remaining == Limit) when its store could not count.
        uncounted = Counter(o.instance for o in admitted if o.remaining is not None and o.remaining == o.limit)
        v.say(f"  {check.label}: {len(check.outcomes)} requests, {len(admitted)} admitted ({split}), "
              f"{len(limited)} refused with 429, {len(other)} other; plan limit {check.limit}/minute; "
              f"admitted uncounted (Remaining == Limit): {dict(uncounted) or 0}")
        if check.exact and len(admitted) != check.limit:
            v.fail(f"{check.label}: {len(admitted)} admitted across the instances for a limit of {check.limit}")
        if check.exact and len(per) < 2:
            v.fail(f"{check.label}: only {split or 'no instance'} admitted any; the test needs both")
        missing = [o for o in limited if not o.retry_after]
        if missing:
            v.fail(f"{check.label}: {len(missing)} 429s without Retry-After")


def judge_writes(v: Verdict, outcomes: list[Outcome], stored: Stored) -> None:
    scans_ok = sum(1 for o in outcomes if o.kind == "scan" and o.status == 200)
    v.say(f"  scans answered 200: {scans_ok}; scans stored: {stored.scans}")
    if stored.scans < scans_ok:
        v.fail(f"{scans_ok} scans answered 200 but {stored.scans} are stored")
    acknowledged = {o.subject for o in outcomes
                    if o.subject is not None and o.kind.startswith("domain create") and o.status in (201, 409)}
    missing = sorted(name for name in acknowledged if name not in stored.domains)
    v.say(f"  domain creates acknowledged (201, or 409 on a retry): {len(acknowledged)}; of these in the "
          f"database: {len(acknowledged) - len(missing)}")
    if missing:
        v.fail(f"domain creates acknowledged but not stored: {missing}")


def judge_deliveries(v: Verdict, delivered: Delivered, arrivals: dict[str, list[Arrival]],
                     disruptions: list[tuple[str, float, float]], grace: float = 0.5) -> None:
    """Every event the endpoint subscribes to arrived (at least once, signed); a duplicate only
    where at-least-once allows one: a worker killed, or the database's sessions ended, between
    its first arrival and the next (the attempt was sent, its outcome not recorded)."""
    expected = delivered.expected
    arrived = {k: a for k, a in arrivals.items() if k in expected}
    missing = sorted(k for k in expected if k not in arrived)
    undelivered = sorted(k for k, status in delivered.deliveries.items() if k in expected and status != "succeeded")
    undispatched = sorted(k for k in expected if k not in delivered.deliveries)
    strangers = sorted(k for k in arrivals if k not in expected)
    unsigned = sorted(k for k, a in arrived.items() if not all(x.valid for x in a))
    by_type = Counter(expected.values())
    dupes = {k: a for k, a in arrived.items() if len(a) > 1}
    v.say(f"  events to deliver (the organization's, since the endpoint was created): {len(expected)} "
          f"({', '.join(f'{t} {n}' for t, n in sorted(by_type.items())) or 'none'})")
    v.say(f"  arrived at the receiver: {len(arrived)} distinct, {sum(len(a) for a in arrived.values())} requests; "
          f"missing: {len(missing)}; deliveries not succeeded: {len(undelivered)}; never dispatched: "
          f"{len(undispatched)}; bad signature: {len(unsigned)}; not expected: {len(strangers)}; "
          f"attempts recorded: {delivered.attempts}")
    unexcused = []
    for key, times in sorted(dupes.items(), key=lambda kv: kv[1][0].at):
        first, last = times[0].at, times[-1].at
        why = [what for what, start, end in disruptions if start <= last + grace and end >= first - grace]
        v.say(f"  duplicate: {key} arrived {len(times)}x (+{first:.1f} s, then "
              f"{', '.join(f'+{t.at:.1f}' for t in times[1:])} s); between them: {'; '.join(why) or 'NOTHING'}")
        if not why:
            unexcused.append(key)
    if not dupes:
        v.say("  duplicates: none")
    for label, keys in (("never arrived", missing), ("not recorded as succeeded", undelivered),
                        ("never dispatched", undispatched), ("arrived with a bad signature", unsigned),
                        ("arrived twice with nothing down", unexcused), ("arrived but were never recorded", strangers)):
        if keys:
            v.fail(f"webhook events {label}: {len(keys)} (e.g. {keys[:3]})")
