"""Rule evaluation where facts arise: after a scan is stored, after a report is stored, and
on a schedule for silence. Gathers the facts with a few queries, lets the pure rules
(rules.py) judge them, and hands the outcomes to the lifecycle (lifecycle.py).

Called inside the transaction that stores the scan or report, the same code path for the
API, the CLI, the mock and the worker.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from sentinel.clock import Clock, IdGenerator
from sentinel.store.models import (
    Alert,
    AlertRule,
    DmarcRecord,
    DmarcReport,
    Domain,
    RecordChange,
    ReportDayStat,
    ReportSource,
    Scan,
)

from . import rules
from .facts import merge_history, record_changes, scan_facts
from .lifecycle import OPEN_STATES, AlertBook

SCAN_RULES = ("dns_record_changed", "dns_error", "policy_weakened")
REPORT_RULES = ("dmarc_pass_rate", "new_source", "reports_stopped")


def applies(rule: AlertRule, domain_id: str) -> bool:
    return rule.domain_ids is None or domain_id in rule.domain_ids


def _rules(session: Session, organization_id: str, types: tuple[str, ...], domain_id: str) -> list[AlertRule]:
    found = session.scalars(
        select(AlertRule)
        .where(AlertRule.organization_id == organization_id, AlertRule.enabled.is_(True), AlertRule.type.in_(types))
        .order_by(AlertRule.created_at, AlertRule.id)
    )
    return [r for r in found if applies(r, domain_id)]


def _open_for(unresolved: dict[tuple[str, str], Alert], rule_id: str) -> dict[str, dict[str, object]]:
    return {subject: alert.details for (rid, subject), alert in unresolved.items() if rid == rule_id}


class AlertEngine:
    def __init__(self, ids: IdGenerator, clock: Clock) -> None:
        self.clock = clock
        self.book = AlertBook(ids, clock)

    # -- scans ------------------------------------------------------------------------------

    def after_scan(self, session: Session, domain: Domain, history: list[Scan], scan: Scan) -> int:
        """Record what changed since the previous scans (newest first) and evaluate the scan rules;
        returns how many alerts changed."""
        after = scan_facts(scan.result)
        before = merge_history([scan_facts(s.result) for s in history])
        previous = history[0] if history else None
        changes = record_changes(before, after) if before is not None else []
        if changes:
            session.flush()  # the scan row first: the changes refer to it
        for change in changes:
            session.add(
                RecordChange(
                    domain_id=domain.id,
                    scan_id=scan.id,
                    previous_scan_id=previous.id if previous is not None else None,
                    changed_at=scan.scanned_at,
                    kind=change.kind,
                    selector=change.selector,
                    change=change.change,
                    before=None if change.before is None else change.before[:8192],
                    after=None if change.after is None else change.after[:8192],
                )
            )
        found = _rules(session, domain.organization_id, SCAN_RULES, domain.id)
        if not found:
            return 0
        unresolved = self.book.unresolved(session, domain.id)
        changed = 0
        for rule in found:
            open_ = _open_for(unresolved, rule.id)
            if rule.type == "dns_record_changed":
                outcome = rules.evaluate_record_changes(domain.name, rule.params, changes, open_)
            elif rule.type == "dns_error":
                outcome = rules.evaluate_dns_errors(domain.name, rule.params, before, after, open_)
            else:
                outcome = rules.evaluate_policy(domain.name, before, after, open_)
            changed += self.book.apply(session, rule, domain.id, outcome, unresolved)
        return changed

    # -- reports ----------------------------------------------------------------------------

    def after_report(self, session: Session, report: DmarcReport) -> int:
        """Evaluate the report rules for the domain a report was just stored for; alerts changed."""
        domain = session.get(Domain, report.domain_id)
        if domain is None:
            return 0
        found = _rules(session, domain.organization_id, REPORT_RULES, domain.id)
        if not found:
            return 0
        now = self.clock.now()
        thresholds = [int(r.params["minMessages"]) for r in found if r.type == "new_source"]
        sources = self._sources(session, report, min(thresholds)) if thresholds else []
        # Only the alerts this report can touch: a domain may have many open new_source alerts.
        subjects = {"", report.org_name[:255], *(s.ip for s in sources if s.first_seen)}
        unresolved = self.book.unresolved(session, domain.id, subjects)
        changed = 0
        for rule in found:
            open_ = _open_for(unresolved, rule.id)
            if rule.type == "dmarc_pass_rate":
                outcome = self._pass_rate(session, domain, rule, now.date())
            elif rule.type == "new_source":
                outcome = rules.evaluate_new_sources(domain.name, rule.params, report.id, sources)
            else:
                # This reporter is not silent: its open reports_stopped alert resolves.
                reporter = [rules.ReporterFacts(report.org_name, 1, now)]
                params = {**rule.params, "minReports": 1}
                outcome = rules.evaluate_reporters(domain.name, params, reporter, now, open_)
            changed += self.book.apply(session, rule, domain.id, outcome, unresolved, now)
        return changed

    def _pass_rate(self, session: Session, domain: Domain, rule: AlertRule, today: date) -> rules.Outcome:
        """The window ends on the domain's latest report day (not in the future): reports arrive a
        day or more late, so a window ending today would judge days no report covers yet."""
        stats = ReportDayStat.__table__.c
        end = session.scalar(select(func.max(stats.day)).where(stats.domain_id == domain.id, stats.day <= today))
        if end is None:
            return rules.Outcome()
        start = end - timedelta(days=int(rule.params["windowDays"]) - 1)
        messages, passed = session.execute(
            select(func.coalesce(func.sum(stats.messages), 0), func.coalesce(func.sum(stats.dmarc_pass), 0)).where(
                stats.domain_id == domain.id, stats.day >= start, stats.day <= end
            )
        ).one()
        return rules.evaluate_pass_rate(domain.name, rule.params, int(messages), int(passed), start, end)

    def _sources(self, session: Session, report: DmarcReport, failing_over: int) -> list[rules.SourceFacts]:
        """The report's new sending IPs failing DMARC for more than `failing_over` messages (what a
        new_source rule can fire on; the others cannot). An IP is new when the domain's all-time
        total for it is this report's alone (the rollups already include the report)."""
        r = DmarcRecord.__table__.c
        totals = ReportSource.__table__
        t = totals.c
        per_ip = (
            select(r.source_ip.label("ip"), func.sum(r.count).label("messages"),
                   func.sum(case((r.dmarc_pass.is_(False), r.count), else_=0)).label("failing"))
            .where(r.report_id == report.id).group_by(r.source_ip).subquery()
        )
        # Joined in the database: a large report has tens of thousands of IPs, too many to list.
        rows = session.execute(
            select(per_ip.c.ip, per_ip.c.messages, per_ip.c.failing)
            .join(totals, (t.domain_id == report.domain_id) & (t.source_ip == per_ip.c.ip), isouter=True)
            .where(per_ip.c.failing > failing_over, func.coalesce(t.messages, 0) <= per_ip.c.messages)
            .order_by(per_ip.c.ip)
        ).all()
        return [rules.SourceFacts(ip, int(messages), int(failing or 0), True) for ip, messages, failing in rows]

    # -- silence, on a schedule -------------------------------------------------------------

    def check_reporters(self, session: Session, now: datetime) -> int:
        """Evaluate every enabled reports_stopped rule against the reporters' last reports."""
        found = list(
            session.scalars(
                select(AlertRule)
                .where(AlertRule.type == "reports_stopped", AlertRule.enabled.is_(True))
                .order_by(AlertRule.organization_id, AlertRule.id)
            )
        )
        if not found:
            return 0
        orgs = sorted({r.organization_id for r in found})
        activity: dict[str, list[rules.ReporterFacts]] = defaultdict(list)
        for domain_id, reporter, count, last in session.execute(
            select(
                DmarcReport.domain_id, DmarcReport.org_name, func.count().cast(Integer),
                func.max(DmarcReport.received_at),
            )
            .where(DmarcReport.organization_id.in_(orgs))
            .group_by(DmarcReport.domain_id, DmarcReport.org_name)
        ):
            activity[domain_id].append(rules.ReporterFacts(reporter, int(count), last))
        names: dict[str, tuple[str, str]] = {
            domain_id: (name, org_id)
            for domain_id, name, org_id in session.execute(
                select(Domain.id, Domain.name, Domain.organization_id).where(Domain.id.in_(list(activity)))
            )
        }
        unresolved: dict[str, dict[tuple[str, str], Alert]] = defaultdict(dict)
        for alert in session.scalars(
            select(Alert).where(Alert.rule_id.in_([r.id for r in found]), Alert.status.in_(OPEN_STATES))
        ):
            unresolved[alert.domain_id][(alert.rule_id, alert.subject)] = alert
        changed = 0
        for rule in found:
            for domain_id, reporters in activity.items():
                name, org_id = names.get(domain_id, ("", ""))
                if org_id != rule.organization_id or not applies(rule, domain_id):
                    continue
                book = unresolved[domain_id]
                outcome = rules.evaluate_reporters(name, rule.params, reporters, now, _open_for(book, rule.id))
                changed += self.book.apply(session, rule, domain_id, outcome, book, now)
        return changed
