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
    TypeDecorator,
    UniqueConstraint,
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
    """The outbox: events recorded in the same transaction as the change they describe."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_org_created", "organization_id", "created_at"),)

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


__all__ = [
    "ApiToken",
    "Base",
    "DmarcRecord",
    "DmarcReport",
    "Domain",
    "Event",
    "Membership",
    "Organization",
    "ReportDaySource",
    "ReportDaySourceName",
    "ReportDayStat",
    "User",
]
