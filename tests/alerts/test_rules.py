"""The rules as pure functions over facts: no database, no DNS, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sentinel.alerts import rules
from sentinel.alerts.facts import Change, ScanFacts, merge_history, record_changes, scan_facts
from sentinel.errors import ValidationError


def facts(policy: str | None = "reject", testing: bool = False, pct: int | None = None) -> ScanFacts:
    return ScanFacts({}, {}, 1, {"policy": policy, "testing": testing, "pct": pct})


def test_params_take_defaults_and_refuse_strangers() -> None:
    defaults = {"threshold": 90.0, "windowDays": 7, "minMessages": 100}
    assert rules.clean_params("dmarc_pass_rate", {"threshold": 90}) == defaults
    ordered = {"records": ["dmarc", "spf"]}
    assert rules.clean_params("dns_record_changed", {"records": ["spf", "dmarc", "spf"]}) == ordered
    for rule_type, params in [("policy_weakened", {"hours": 1}), ("reports_stopped", {"hours": 0}),
                              ("dns_error", {"spfLookupThreshold": True}), ("new_source", {"minMessages": -1})]:
        with pytest.raises(ValidationError):
            rules.clean_params(rule_type, params)


def test_pass_rate_is_judged_only_over_enough_messages() -> None:
    params = rules.clean_params("dmarc_pass_rate", None)
    day = date(2026, 1, 14)
    assert rules.evaluate_pass_rate("d", params, 99, 0, day, day).fire == []
    assert rules.evaluate_pass_rate("d", params, 99, 0, day, day).resolve == {}
    [low] = rules.evaluate_pass_rate("d", params, 200, 189, day, day).fire
    assert low.details["passRate"] == 94.5 and low.subject == ""
    assert "" in rules.evaluate_pass_rate("d", params, 200, 190, day, day).resolve  # exactly 95% is fine


def test_record_changes_compare_only_what_both_scans_determined() -> None:
    before = ScanFacts({("spf", ""): "v=spf1 -all", ("dkim", "s1"): "k", ("mx", ""): "10 mx"})
    after = ScanFacts({("spf", ""): "v=spf1 ~all", ("dkim", "s1"): None})  # MX lookup failed: not a change
    assert record_changes(before, after) == [
        Change("dkim", "s1", "k", None),
        Change("spf", "", "v=spf1 -all", "v=spf1 ~all"),
    ]


def test_a_second_change_while_open_keeps_the_first_before() -> None:
    params = rules.clean_params("dns_record_changed", None)
    open_ = {"spf": {"before": "A"}}
    [again] = rules.evaluate_record_changes("d", params, [Change("spf", "", "B", "C")], open_).fire
    assert again.details["before"] == "A" and again.details["after"] == "C"
    back = rules.evaluate_record_changes("d", params, [Change("spf", "", "C", "A")], open_)
    assert back.fire == [] and "spf" in back.resolve


@pytest.mark.parametrize(
    "before, after, weaker",
    [
        (facts("reject"), facts("quarantine"), True),
        (facts("quarantine"), facts("none"), True),
        (facts("none"), facts(None), True),
        (facts("reject"), facts("reject", testing=True), True),
        (facts("quarantine", pct=100), facts("quarantine", pct=50), True),
        (facts("none"), facts("reject"), False),
        (facts("reject", testing=True), facts("reject"), False),
        (facts("reject"), facts("reject"), False),
    ],
)
def test_policy_weakened(before: ScanFacts, after: ScanFacts, weaker: bool) -> None:
    assert bool(rules.evaluate_policy("d", before, after, {}).fire) is weaker


def test_dns_errors_open_when_new_and_resolve_when_gone() -> None:
    params = rules.clean_params("dns_error", None)
    old = ScanFacts(errors={"DMARC_MISSING": "no record"}, spf_lookups=3)
    new = ScanFacts(errors={"DMARC_MISSING": "no record", "DKIM_REVOKED": "revoked"}, spf_lookups=9)
    out = rules.evaluate_dns_errors("d", params, old, new, {})
    assert {f.subject for f in out.fire} == {"DKIM_REVOKED", rules.SPF_LOOKUPS_SUBJECT}
    cleared = rules.evaluate_dns_errors("d", params, new, ScanFacts(spf_lookups=2), {"DKIM_REVOKED": {}})
    assert set(cleared.resolve) == {"DKIM_REVOKED"}
    outage = ScanFacts(spf_lookups=2, undetermined=frozenset({"DKIM"}))
    assert rules.evaluate_dns_errors("d", params, new, outage, {"DKIM_REVOKED": {}}).resolve == {}


def test_reporters_fall_silent_after_the_hours() -> None:
    params = rules.clean_params("reports_stopped", {"minReports": 2})
    now = datetime(2026, 1, 20, tzinfo=UTC)
    quiet = rules.ReporterFacts("google.com", 5, now - timedelta(hours=48))
    once = rules.ReporterFacts("once.example", 1, now - timedelta(hours=100))
    fresh = rules.ReporterFacts("Yahoo", 9, now - timedelta(hours=2))
    out = rules.evaluate_reporters("d", params, [quiet, once, fresh], now, {"Yahoo": {}})
    assert [f.subject for f in out.fire] == ["google.com"] and set(out.resolve) == {"Yahoo"}


def test_scan_facts_skip_parts_dns_could_not_answer() -> None:
    result = {
        "dmarc": {"status": "error", "found": False},
        "spf": {"status": "ok", "found": True, "record": "v=spf1 -all", "dnsLookups": 0},
        "mx": {"status": "ok", "found": True, "nullMx": False, "hosts": [{"host": "b", "preference": 20},
                                                                         {"host": "a", "preference": 10}]},
        "dkim": {"selectors": [{"selector": "s1", "status": "error"}, {"selector": "s2", "status": "not_found"}]},
        "issues": [{"severity": "error", "code": "X", "message": "m"}, {"severity": "warning", "code": "Y"}],
    }
    found = scan_facts(result)
    assert found.policy is None and ("dmarc", "") not in found.records
    assert found.records[("mx", "")] == "10 a, 20 b" and found.records[("dkim", "s2")] is None
    assert ("dkim", "s1") not in found.records and found.errors == {"X": "m"}


def test_history_fills_what_the_latest_scan_could_not_determine() -> None:
    older = ScanFacts({("spf", ""): "v=spf1 -all", ("mx", ""): "10 a"}, {"X": "x"}, 3, {"policy": "reject"})
    newer = ScanFacts({("mx", ""): "20 b"}, {}, None, None, frozenset({"SPF", "DMARC"}))
    merged = merge_history([newer, older])
    assert merged is not None and merged.records == {("spf", ""): "v=spf1 -all", ("mx", ""): "20 b"}
    assert merged.policy == {"policy": "reject"} and merged.spf_lookups == 3 and merged.errors == {}
    assert merge_history([]) is None
