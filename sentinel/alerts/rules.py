"""Alert rules: their types and parameters, and their evaluation over facts. Pure logic.

Each evaluation takes facts (what a scan found, what the stored reports add up to) and
the alerts of the rule that are still open on the domain, by subject, and answers an
`Outcome`: conditions that hold now (`fire`) and open subjects whose condition cleared
(`resolve`, with the reason). Nothing here reads the database, the network or a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sentinel.errors import ValidationError

from .facts import Change, ScanFacts

SEVERITIES = ("info", "warning", "critical")
RECORD_KINDS = ("dmarc", "spf", "dkim", "mx", "mta_sts", "tls_rpt")
# The DMARC policy's strength: a weaker one lets more spoofed mail through.
_POLICY_RANK = {None: 0, "none": 1, "quarantine": 2, "reject": 3}
# The virtual issue code dns_error uses for the SPF lookup count reaching its threshold.
SPF_LOOKUPS_SUBJECT = "SPF_LOOKUPS_AT_THRESHOLD"


@dataclass(frozen=True)
class Param:
    default: Any
    kind: type
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class RuleType:
    alert_type: str
    severity: str
    params: dict[str, Param]
    summary: str


RULE_TYPES: dict[str, RuleType] = {
    "dmarc_pass_rate": RuleType(
        "dmarc_failure",
        "critical",
        {
            "threshold": Param(95.0, float, 0, 100),
            "windowDays": Param(7, int, 1, 90),
            "minMessages": Param(100, int, 0, 10**12),
        },
        "DMARC pass rate below threshold % over the last windowDays (windows under minMessages are not judged)",
    ),
    "dns_record_changed": RuleType(
        "dns_record_changed",
        "warning",
        {"records": Param(list(RECORD_KINDS), list)},
        "a DMARC, SPF, DKIM, MX, MTA-STS or TLS-RPT record appeared, changed or vanished between two scans",
    ),
    "dns_error": RuleType(
        "dns_error",
        "critical",
        {"spfLookupThreshold": Param(9, int, 1, 100)},
        "a scan found a new error-level issue, or SPF needs spfLookupThreshold DNS lookups or more",
    ),
    "policy_weakened": RuleType(
        "policy_weakened",
        "critical",
        {},
        "the effective DMARC policy got weaker (reject, quarantine, none, no record; testing on; lower pct)",
    ),
    "reports_stopped": RuleType(
        "reports_stopped",
        "warning",
        {"hours": Param(48, int, 1, 8760), "minReports": Param(1, int, 1, 10000)},
        "a reporter that sent at least minReports reports sent none for hours",
    ),
    "new_source": RuleType(
        "new_source",
        "warning",
        {"minMessages": Param(10, int, 0, 10**12)},
        "a sending IP never seen for the domain sends more than minMessages messages failing DMARC in one report",
    ),
}


def clean_params(
    rule_type: str, given: Mapping[str, Any] | None, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The rule's parameters: `given` over `current` over the defaults, each checked.

    Raises ValidationError naming the parameter (unknown for the type, wrong kind, out of range).
    """
    spec = RULE_TYPES[rule_type]
    values: dict[str, Any] = {name: p.default for name, p in spec.params.items()}
    values.update(current or {})
    for name, value in (given or {}).items():
        where = f"params.{name}"
        param = spec.params.get(name)
        if param is None:
            known = ", ".join(spec.params) or "none"
            message = f"A {rule_type} rule has no parameter '{name}' (its parameters: {known})."
            raise ValidationError.field(where, message)
        if param.kind is list:
            if not isinstance(value, list) or not value or any(v not in RECORD_KINDS for v in value):
                raise ValidationError.field(where, f"'{name}' must list one or more of {', '.join(RECORD_KINDS)}.")
            values[name] = [k for k in RECORD_KINDS if k in value]
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or (param.kind is int and value != int(value)):
            raise ValidationError.field(where, f"'{name}' must be {'an integer' if param.kind is int else 'a number'}.")
        low, high = param.minimum, param.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValidationError.field(where, f"'{name}' must be between {param.minimum:g} and {param.maximum:g}.")
        values[name] = param.kind(value)
    return values


@dataclass(frozen=True)
class Finding:
    """A condition that holds: what it is about within the domain, and what to say."""

    subject: str
    message: str
    details: dict[str, Any]


@dataclass
class Outcome:
    fire: list[Finding] = field(default_factory=list)
    # Open subjects whose condition cleared, with why.
    resolve: dict[str, str] = field(default_factory=dict)


Open = Mapping[str, Mapping[str, Any]]  # subject -> the open alert's details


def change_subject(kind: str, selector: str) -> str:
    return f"dkim:{selector}" if kind == "dkim" else kind


def _label(kind: str, selector: str) -> str:
    names = {"dmarc": "DMARC", "spf": "SPF", "mx": "MX", "mta_sts": "MTA-STS", "tls_rpt": "TLS-RPT"}
    return f"DKIM ({selector})" if kind == "dkim" else names[kind]


def evaluate_record_changes(domain: str, params: Mapping[str, Any], changes: list[Change], open_: Open) -> Outcome:
    """dns_record_changed: one finding per changed record; a record back to what it was
    before the open alert's change resolves that alert."""
    outcome = Outcome()
    kinds = set(params.get("records") or RECORD_KINDS)
    for change in changes:
        if change.kind not in kinds:
            continue
        subject = change_subject(change.kind, change.selector)
        label = _label(change.kind, change.selector)
        earlier = open_.get(subject)
        before = earlier["before"] if earlier is not None else change.before
        if earlier is not None and change.after == before:
            outcome.resolve[subject] = f"The {label} record of {domain} is back to what it was."
            continue
        verb = "appeared" if before is None else "vanished" if change.after is None else "changed"
        details = {
            "record": change.kind,
            "selector": change.selector or None,
            "change": verb,
            "before": before,
            "after": change.after,
        }
        outcome.fire.append(Finding(subject, f"The {label} record of {domain} {verb}.", details))
    return outcome


def evaluate_dns_errors(
    domain: str, params: Mapping[str, Any], before: ScanFacts | None, after: ScanFacts, open_: Open
) -> Outcome:
    """dns_error: an error-level issue the previous scan did not have, or the SPF lookup count
    reaching the threshold; an open one resolves once a scan no longer finds it."""
    outcome = Outcome()
    threshold = int(params.get("spfLookupThreshold", 9))
    present = dict(after.errors)
    lookups_before = before.spf_lookups if before is not None else None
    if after.spf_lookups is not None and after.spf_lookups >= threshold:
        present[SPF_LOOKUPS_SUBJECT] = (
            f"SPF of {domain} needs {after.spf_lookups} DNS lookups (alert threshold {threshold}, limit 10)."
        )
    for code, message in present.items():
        if code == SPF_LOOKUPS_SUBJECT:
            new = lookups_before is None or lookups_before < threshold
        else:
            new = before is None or code not in before.errors
        if new or code in open_:
            details = {"code": code, "issue": message, "spfLookups": after.spf_lookups, "threshold": threshold}
            outcome.fire.append(Finding(code, f"{domain}: {message}", details))
    for code in open_:
        # A part DNS could not answer says nothing about its issues: they stay open.
        known = after.spf_lookups is not None if code == SPF_LOOKUPS_SUBJECT else after.determined(code)
        if code not in present and known:
            outcome.resolve[code] = f"The latest scan of {domain} no longer finds {code}."
    return outcome


def _strength(policy: Mapping[str, Any]) -> tuple[int, int, int]:
    pct = policy.get("pct")
    return (_POLICY_RANK.get(policy.get("policy"), 0), 0 if policy.get("testing") else 1, 100 if pct is None else pct)


def _describe(policy: Mapping[str, Any]) -> str:
    text = f"p={policy.get('policy')}" if policy.get("policy") else "no DMARC policy"
    if policy.get("testing"):
        text += " (testing)"
    if policy.get("pct") is not None and policy.get("pct") != 100:
        text += f" pct={policy['pct']}"
    return text


def evaluate_policy(domain: str, before: ScanFacts | None, after: ScanFacts, open_: Open) -> Outcome:
    """policy_weakened: the effective DMARC policy is weaker than in the previous scan; the alert
    resolves once a scan shows a policy at least as strong as before the weakening."""
    outcome = Outcome()
    if after.policy is None:
        return outcome
    earlier = open_.get("")
    if earlier is not None and _strength(after.policy) >= _strength(earlier["before"]):
        outcome.resolve[""] = f"The DMARC policy of {domain} is {_describe(after.policy)} again."
        return outcome
    if before is None or before.policy is None:
        return outcome
    if _strength(after.policy) < _strength(before.policy):
        original = earlier["before"] if earlier is not None else before.policy
        message = f"The DMARC policy of {domain} got weaker: {_describe(original)} -> {_describe(after.policy)}."
        outcome.fire.append(Finding("", message, {"before": dict(original), "after": dict(after.policy)}))
    return outcome


def evaluate_pass_rate(
    domain: str, params: Mapping[str, Any], messages: int, passed: int, start: date, end: date
) -> Outcome:
    """dmarc_pass_rate: the DMARC pass rate over the window [start, end] against the threshold;
    a window with fewer than minMessages messages is not judged either way."""
    outcome = Outcome()
    if messages <= 0 or messages < int(params["minMessages"]):
        return outcome
    threshold = float(params["threshold"])
    rate = 100.0 * passed / messages
    if rate < threshold:
        details = {
            "passRate": round(rate, 2),
            "threshold": threshold,
            "messages": messages,
            "dmarcPass": passed,
            "windowDays": int(params["windowDays"]),
            "from": start.isoformat(),
            "to": end.isoformat(),
        }
        message = (
            f"DMARC pass rate dropped below {threshold:g}% for {domain}: {rate:.1f}% of {messages:,} messages "
            f"from {start.isoformat()} to {end.isoformat()}."
        )
        outcome.fire.append(Finding("", message, details))
    else:
        outcome.resolve[""] = f"The DMARC pass rate of {domain} is {rate:.1f}% (threshold {threshold:g}%)."
    return outcome


@dataclass(frozen=True)
class SourceFacts:
    """A sending IP of one report: its messages failing DMARC, and whether the domain never saw it before."""

    ip: str
    messages: int
    failing: int
    first_seen: bool


def evaluate_new_sources(domain: str, params: Mapping[str, Any], report: str, sources: list[SourceFacts]) -> Outcome:
    """new_source: an IP never seen before for the domain with more than minMessages failing DMARC."""
    outcome = Outcome()
    minimum = int(params["minMessages"])
    for source in sources:
        if source.first_seen and source.failing > minimum:
            details = {
                "sourceIp": source.ip, "messages": source.messages, "dmarcFail": source.failing, "reportId": report
            }
            message = f"A new source {source.ip} sent {source.failing:,} messages failing DMARC as {domain}."
            outcome.fire.append(Finding(source.ip, message, details))
    return outcome


@dataclass(frozen=True)
class ReporterFacts:
    name: str
    reports: int
    last_received: datetime


def evaluate_reporters(
    domain: str, params: Mapping[str, Any], reporters: list[ReporterFacts], now: datetime, open_: Open
) -> Outcome:
    """reports_stopped: a reporter with at least minReports reports sent none for `hours`;
    its next report resolves the alert."""
    outcome = Outcome()
    quiet = timedelta(hours=int(params["hours"]))
    for reporter in reporters:
        if reporter.reports < int(params["minReports"]):
            continue
        silent = now - reporter.last_received
        if silent >= quiet:
            hours = int(silent.total_seconds() // 3600)
            details = {
                "reporter": reporter.name,
                "reports": reporter.reports,
                "lastReceivedAt": reporter.last_received.isoformat().replace("+00:00", "Z"),
                "silentHours": hours,
                "hours": int(params["hours"]),
            }
            message = f"{reporter.name} sent no DMARC report about {domain} for {hours} hours."
            outcome.fire.append(Finding(reporter.name[:255], message, details))
        elif reporter.name[:255] in open_:
            outcome.resolve[reporter.name[:255]] = f"{reporter.name} sent a report about {domain} again."
    return outcome
