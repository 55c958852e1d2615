"""SQLAlchemy models: the tables behind every capability."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(20), default="free")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Membership(Base):
    __tablename__ = "memberships"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="raise")
    organization: Mapped[Organization] = relationship(lazy="raise")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The organization whose plan limits this token's requests.
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hint: Mapped[str] = mapped_column(String(40))
    scopes: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    rotated_at: Mapped[datetime | None]


class CacheGeneration(Base):
    """A counter bumped by every change that invalidates a cache kept in each process
    (`principals`: revocations, rotations, memberships, plans)."""

    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Domain(Base):
    __tablename__ = "domains"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_domains_org_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(253), index=True)
    # The Unicode form, so searches match what people type (A-labels hide substrings).
    unicode_name: Mapped[str] = mapped_column(String(1024))
    description: Mapped[str | None] = mapped_column(String(500))
    verification_token: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None]
    dkim_selectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Selectors seen in DMARC reports' DKIM results; scans probe them too.
    learned_selectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Continuous monitoring: hours between scheduled rescans (0: none), when the next is
    # due, and until when a worker holds the claim on it (sentinel/alerts/jobs.py).
    scan_interval_hours: Mapped[int] = mapped_column(Integer, default=24)
    next_scan_at: Mapped[datetime | None] = mapped_column(index=True)
    scan_claimed_until: Mapped[datetime | None]


class Scan(Base):
    """One stored DNS scan of a domain; `result` is the API's scan object."""

    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_domain_scanned", "domain_id", "scanned_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"))
    scanned_at: Mapped[datetime]
    duration_ms: Mapped[int]
    error_count: Mapped[int]
    warning_count: Mapped[int]
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class SeenRecord(Base):
    """A distinct DMARC, SPF or DKIM record that scans of a domain have seen."""

    __tablename__ = "seen_records"
    __table_args__ = (
        UniqueConstraint("domain_id", "kind", "selector", "record_hash", name="uq_seen_records"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    # Empty for DMARC and SPF; the DKIM selector otherwise.
    selector: Mapped[str] = mapped_column(String(255), default="")
    record_hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(String(8192))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    current: Mapped[bool]


class Event(Base):
    """The outbox: events recorded in the same transaction as the change they describe.

    `delivered_at` is when the dispatcher turned the event into deliveries (one per
    subscribed endpoint); NULL until then.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_org_created", "organization_id", "created_at"),
        Index("ix_events_undispatched", "created_at", sqlite_where=text("delivered_at IS NULL"),
              postgresql_where=text("delivered_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class DmarcReport(Base):
    """One stored DMARC aggregate report; stored once per (organization, reporter, report id)."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("organization_id", "org_name", "external_id", name="uq_reports_org_reporter_id"),
        Index("ix_reports_domain_day", "domain_id", "day"),
        Index("ix_reports_org_day", "organization_id", "day"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"))
    # The reporter's organization name and its own report id.
    org_name: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str] = mapped_column(String(255))
    policy_domain: Mapped[str] = mapped_column(String(253))
    begin_at: Mapped[datetime]
    end_at: Mapped[datetime]
    # The UTC day the report's rollups are counted on (the middle of its date range).
    day: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime]
    record_count: Mapped[int] = mapped_column(Integer)
    message_count: Mapped[int] = mapped_column(BigInteger)
    dmarc_pass_count: Mapped[int] = mapped_column(BigInteger)
    # The parser's header view (metadata, policy) plus skipped records, warnings, extensions.
    header: Mapped[dict[str, Any]] = mapped_column(JSON)


class DmarcRecord(Base):
    """One <record> of a stored report; `position` is its index in the file."""

    __tablename__ = "report_records"

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source_ip: Mapped[str] = mapped_column(String(45))
    count: Mapped[int] = mapped_column(BigInteger)
    disposition: Mapped[str | None] = mapped_column(String(64))
    dkim: Mapped[str | None] = mapped_column(String(64))
    spf: Mapped[str | None] = mapped_column(String(64))
    dmarc_pass: Mapped[bool] = mapped_column(Boolean)
    dkim_aligned: Mapped[bool] = mapped_column(Boolean)
    spf_aligned: Mapped[bool] = mapped_column(Boolean)
    header_from: Mapped[str] = mapped_column(String(1000))
    envelope_from: Mapped[str | None] = mapped_column(String(1000))
    envelope_to: Mapped[str | None] = mapped_column(String(1000))
    # {"reasons": [...], "dkim": [...], "spf": [...]} exactly as the API shows them.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReportDayStat(Base):
    """Daily rollup per (domain, day, reporter): what GET /domains/{id}/stats sums."""

    __tablename__ = "report_day_stats"

    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reporter: Mapped[str] = mapped_column(String(255), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer)
    messages: Mapped[int] = mapped_column(BigInteger)
    dmarc_pass: Mapped[int] = mapped_column(BigInteger)
    dkim_aligned: Mapped[int] = mapped_column(BigInteger)
    spf_aligned: Mapped[int] = mapped_column(BigInteger)
    disposition_none: Mapped[int] = mapped_column(BigInteger)
    disposition_pass: Mapped[int] = mapped_column(BigInteger)
    disposition_quarantine: Mapped[int] = mapped_column(BigInteger)
    disposition_reject: Mapped[int] = mapped_column(BigInteger)
    disposition_other: Mapped[int] = mapped_column(BigInteger)


class ReportDaySource(Base):
    """Daily rollup per (domain, day, sending IP): what GET /domains/{id}/sources sums."""

    __tablename__ = "report_day_sources"

    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source_ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger)
    dmarc_pass: Mapped[int] = mapped_column(BigInteger)
    dkim_aligned: Mapped[int] = mapped_column(BigInteger)
    spf_aligned: Mapped[int] = mapped_column(BigInteger)


class ReportSource(Base):
    """All-time totals per (domain, sending IP): the sources endpoint's answer when no dates
    are given, read by index instead of summing every daily row."""

    __tablename__ = "report_sources"
    __table_args__ = (
        Index("ix_report_sources_volume", "domain_id", "messages"),
        Index("ix_report_sources_failures", "domain_id", "dmarc_fail"),
    )

    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True)
    source_ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger)
    dmarc_pass: Mapped[int] = mapped_column(BigInteger)
    dmarc_fail: Mapped[int] = mapped_column(BigInteger)
    dkim_aligned: Mapped[int] = mapped_column(BigInteger)
    spf_aligned: Mapped[int] = mapped_column(BigInteger)


class ReportDaySourceName(Base):
    """Header-From (kind "h") and DKIM (kind "d") domains seen per (domain, day, IP), with volume."""

    __tablename__ = "report_day_source_names"
    # The sources endpoint looks names up for one page of IPs at a time.
    __table_args__ = (Index("ix_report_day_source_names_ip", "domain_id", "source_ip", "day"),)

    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source_ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger)


class Webhook(Base):
    """A webhook endpoint of an organization; secrets are stored encrypted (sentinel.events.secrets)."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_org_created", "organization_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    # None: every event type, including ones added later.
    events: Mapped[list[str] | None] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None]
    secret: Mapped[str] = mapped_column(String(500))
    # After a rotation the previous secret keeps signing until `previous_secret_expires_at`.
    previous_secret: Mapped[str | None] = mapped_column(String(500))
    previous_secret_expires_at: Mapped[datetime | None]
    secret_rotated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The first failed attempt since the last success: the endpoint is disabled when this is old.
    failing_since: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event for one endpoint: the exact body sent, its state and its lease."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    organization_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(60))
    # The JSON body, serialised once so every attempt sends (and signs) the same bytes.
    payload: Mapped[str] = mapped_column(Text)
    # pending, succeeded or failed.
    status: Mapped[str] = mapped_column(String(20))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts since the delivery was (re)queued: the position in the retry schedule.
    schedule_step: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    # A worker's claim: until `lease_until` no other worker sends this delivery.
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(1000))
    # The first 2 KiB of the response body.
    response_body: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(45))
    succeeded: Mapped[bool] = mapped_column(Boolean)
class AlertRule(Base):
    """A condition an organization wants to hear about (sentinel/alerts/rules.py)."""

    __tablename__ = "alert_rules"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    severity: Mapped[str] = mapped_column(String(20))
    # None: every domain of the organization; otherwise the listed domain IDs.
    domain_ids: Mapped[list[str] | None] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Alert(Base):
    """One occurrence of a rule's condition on a domain, from opening to resolution.

    While not resolved it is the only one for its (rule, domain, subject): the partial unique
    index is what deduplicates, on SQLite and PostgreSQL alike, whatever runs concurrently.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_unresolved",
            "rule_id",
            "domain_id",
            "subject",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_alerts_org_triggered", "organization_id", "triggered_at"),
        Index("ix_alerts_domain_status", "domain_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # Not a foreign key: an alert outlives the rule that opened it (deleting a rule resolves them).
    rule_id: Mapped[str] = mapped_column(String(40))
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    # What the condition is about within the domain: a record kind, an issue code, an IP, a reporter.
    subject: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(1000))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    triggered_at: Mapped[datetime]
    # The last evaluation that found the condition still true.
    last_seen_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolution: Mapped[str | None] = mapped_column(String(1000))


class RecordChange(Base):
    """A DNS record that appeared, changed or vanished between two scans of a domain."""

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_domain_changed", "domain_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"))
    scan_id: Mapped[str] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    previous_scan_id: Mapped[str | None] = mapped_column(String(40))
    changed_at: Mapped[datetime]
    # dmarc, spf, dkim, mx, mta_sts, tls_rpt; the DKIM selector, or "".
    kind: Mapped[str] = mapped_column(String(20))
    selector: Mapped[str] = mapped_column(String(255), default="")
    change: Mapped[str] = mapped_column(String(20))
    before: Mapped[str | None] = mapped_column(String(8192))
    after: Mapped[str | None] = mapped_column(String(8192))


__all__ = [
    "Alert",
    "AlertRule",
    "ApiToken",
    "Base",
    "DmarcRecord",
    "DmarcReport",
    "Domain",
    "Event",
    "Membership",
    "Organization",
    "RecordChange",
    "ReportDaySource",
    "ReportDaySourceName",
    "ReportDayStat",
    "User",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
