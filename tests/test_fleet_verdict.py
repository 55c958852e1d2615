"""The fleet test's rules (bench/fleet/verdict.py): each failure it must report, and none when all is well."""

from __future__ import annotations

import itertools
import random

from bench.fleet.hooks import Arrival, Delivered
from bench.fleet.load import Outcome
from bench.fleet.procs import Timeline
from bench.fleet.reports import generate
from bench.fleet.verdict import (
    RateCheck,
    Stored,
    Verdict,
    judge_deliveries,
    judge_rates,
    judge_reports,
    judge_requests,
)

_seq = itertools.count(1)
DOWN = ["PostgreSQL: pg_terminate_backend x3 (+10.0 s)"]


def outcome(status: int | None, *, down: list[str] | None = None, retry_after: str | None = None,
            kind: str = "read /api/me", instance: str = "A", error: str | None = None, **kw: object) -> Outcome:
    o = Outcome(next(_seq), kind, instance, "GET", "/api/me", 10.0, 10.1, status, error=error,
                retry_after=retry_after, **kw)  # type: ignore[arg-type]
    o.down = list(down or [])
    return o


def failures_of_requests(*outcomes: Outcome) -> list[str]:
    v = Verdict()
    judge_requests(v, list(outcomes), {})
    return v.failures


def test_a_500_fails_even_while_a_dependency_is_down() -> None:
    assert any(f.startswith("500") for f in failures_of_requests(outcome(500, down=DOWN)))


def test_a_503_with_retry_after_during_an_outage_passes() -> None:
    assert failures_of_requests(outcome(503, down=DOWN, retry_after="1"), outcome(200)) == []


def test_a_503_without_retry_after_fails() -> None:
    assert any("without Retry-After" in f for f in failures_of_requests(outcome(503, down=DOWN)))


def test_a_5xx_while_nothing_was_down_fails() -> None:
    assert any("nothing was down" in f for f in failures_of_requests(outcome(503, retry_after="1")))


def test_no_answer_while_nothing_was_down_fails_but_a_dead_instance_may_refuse() -> None:
    assert failures_of_requests(outcome(None, error="ConnectError", down=["instance B killed (+5.0 s)"])) == []
    assert any("no answer" in f for f in failures_of_requests(outcome(None, error="ReadError")))


def test_an_unexpected_4xx_fails_but_a_429_with_retry_after_does_not() -> None:
    assert failures_of_requests(outcome(429, kind="rate limit", retry_after="3")) == []
    assert failures_of_requests(outcome(429, kind="upload", retry_after="1")) == []
    assert any("429 without Retry-After" in f for f in failures_of_requests(outcome(429, kind="upload")))
    assert any("unexpected 400" in f for f in failures_of_requests(outcome(400, code="VALIDATION_ERROR")))


def judge(stored_rows: dict[tuple[str, str], list[tuple[int, int, str]]], answers: list[tuple[int, int]],
          rollup_delta: int = 0) -> list[str]:
    """Two generated reports; `answers` are (report index, status); the database holds `stored_rows`."""
    rng = random.Random(7)
    reports = [generate(rng, i, "fleet-a.example.com") for i in (1, 2)]
    outcomes = [outcome(status, key=reports[i].key, kind="upload", duplicate=status == 200) for i, status in answers]
    rows = {k: [(n, m, d) for n, m, d in v] for k, v in stored_rows.items()}
    count = sum(len(v) for v in rows.values())
    messages = sum(m for v in rows.values() for _, m, _ in v)
    stored = Stored(rows, {"fleet-a.example.com": (count, messages + rollup_delta)},
                    {"fleet-a.example.com": messages + rollup_delta}, count, 0, set())
    v = Verdict()
    judge_reports(v, reports, outcomes, stored, set())
    return v.failures


def _rows(*indexes: int) -> dict[tuple[str, str], list[tuple[int, int, str]]]:
    rng = random.Random(7)
    reports = [generate(rng, i, "fleet-a.example.com") for i in (1, 2)]
    rows: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for i in indexes:
        rows.setdefault(reports[i].key, []).append((reports[i].records, reports[i].messages, reports[i].domain))
    return rows


def test_reports_all_stored_once_pass() -> None:
    assert judge(_rows(0, 1), [(0, 201), (1, 201), (1, 200)]) == []


def test_a_report_accepted_but_not_stored_is_lost() -> None:
    assert any("lost" in f for f in judge(_rows(0), [(0, 201), (1, 201)]))


def test_a_report_never_accepted_fails() -> None:
    assert any("never accepted" in f for f in judge(_rows(0), [(0, 201), (1, 503)]))


def test_a_report_stored_or_created_twice_fails() -> None:
    assert any("stored twice" in f for f in judge(_rows(0, 1, 1), [(0, 201), (1, 201)]))
    assert any("201 twice" in f for f in judge(_rows(0, 1), [(0, 201), (1, 201), (1, 201)]))


def test_a_partly_stored_report_or_a_rollup_out_of_step_fails() -> None:
    partial = _rows(0, 1)
    key = next(iter(partial))
    n, m, d = partial[key][0]
    partial[key] = [(n - 1, m, d)]
    assert any("stored partly" in f for f in judge(partial, [(0, 201), (1, 201)]))
    assert any("rollups" in f for f in judge(_rows(0, 1), [(0, 201), (1, 201)], rollup_delta=5))


def rate(statuses: list[tuple[str, int]], limit: int = 3) -> list[str]:
    outcomes = [outcome(s, kind="rate limit", instance=i, retry_after="9" if s == 429 else None) for i, s in statuses]
    v = Verdict()
    judge_rates(v, [RateCheck("rate limit", limit, outcomes, exact=True)])
    return v.failures


def test_a_limit_must_hold_exactly_across_both_instances() -> None:
    assert rate([("A", 200), ("B", 200), ("A", 200), ("B", 429)]) == []
    assert rate([("A", 200), ("B", 200), ("A", 200), ("B", 200)]) != []
    assert rate([("A", 200), ("A", 200), ("A", 200), ("A", 429)]) != []


def test_a_process_outage_counts_only_for_that_process() -> None:
    timeline = Timeline()
    d = timeline.begin("instance B killed", process="B")
    d.start, d.end = 5.0, 8.0
    shared = timeline.begin("Redis stopped")
    shared.start, shared.end = 20.0, 25.0
    assert timeline.down_during(6.0, 6.1, "B") == ["instance B killed (+5.0 s)"]
    assert timeline.down_during(6.0, 6.1, "A") == []
    assert timeline.down_during(24.0, 26.0, "A") == ["Redis stopped (+20.0 s)"]
    assert timeline.down_during(30.0, 31.0, "A") == []


def delivery_failures(expected: dict[str, str], statuses: dict[str, str], arrivals: dict[str, list[Arrival]],
                      disruptions: list[tuple[str, float, float]] | None = None) -> list[str]:
    v = Verdict()
    judge_deliveries(v, Delivered(expected, statuses, attempts=len(statuses)), arrivals, disruptions or [])
    return v.failures


def test_every_event_delivered_once_and_signed_passes() -> None:
    expected = {"evt_1": "report.received", "evt_2": "domain.scan.completed"}
    arrivals = {"evt_1": [Arrival(5.0, True)], "evt_2": [Arrival(6.0, True)]}
    assert delivery_failures(expected, dict.fromkeys(expected, "succeeded"), arrivals) == []


def test_an_event_that_never_arrived_or_was_not_dispatched_fails() -> None:
    expected = {"evt_1": "report.received", "evt_2": "report.received"}
    failures = delivery_failures(expected, {"evt_1": "succeeded"}, {"evt_1": [Arrival(5.0, True)]})
    assert any("never arrived" in f for f in failures)
    assert any("never dispatched" in f for f in failures)
    failures = delivery_failures({"evt_1": "alert.triggered"}, {"evt_1": "failed"}, {"evt_1": [Arrival(5.0, True)]})
    assert any("not recorded as succeeded" in f for f in failures)


def test_a_bad_signature_fails() -> None:
    failures = delivery_failures({"evt_1": "report.received"}, {"evt_1": "succeeded"}, {"evt_1": [Arrival(5.0, False)]})
    assert any("bad signature" in f for f in failures)


def test_a_duplicate_passes_only_when_a_worker_died_or_sessions_ended_in_between() -> None:
    expected = {"evt_1": "report.received"}
    twice = {"evt_1": [Arrival(40.0, True), Arrival(67.0, True)]}
    killed = [("worker2 killed", 40.2, 40.4)]
    assert delivery_failures(expected, {"evt_1": "succeeded"}, twice, killed) == []
    assert any("nothing down" in f for f in delivery_failures(expected, {"evt_1": "succeeded"}, twice))
    # A disruption after both arrivals excuses nothing.
    later = [("worker2 killed", 80.0, 80.2)]
    assert any("nothing down" in f for f in delivery_failures(expected, {"evt_1": "succeeded"}, twice, later))
