"""The normalised report: plain frozen dataclasses, independent of any storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DkimAuthResult:
    """One DKIM signature the receiver evaluated (RFC 7489 Appendix C DKIMAuthResultType)."""

    domain: str | None
    selector: str | None
    result: str
    human_result: str | None = None


@dataclass(frozen=True, slots=True)
class SpfAuthResult:
    """One SPF check the receiver made (RFC 7489 Appendix C SPFAuthResultType)."""

    domain: str | None
    scope: str | None
    result: str
    human_result: str | None = None


@dataclass(frozen=True, slots=True)
class OverrideReason:
    """Why the receiver applied a disposition other than the published policy."""

    type: str | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class Record:
    """One <record>: a sending IP and the messages it sent with one outcome.

    ``dkim``/``spf`` are what the reporter says it evaluated; ``dkim_aligned``,
    ``spf_aligned`` and ``dmarc_pass`` are recomputed from the auth results.
    """

    index: int
    source_ip: str
    count: int
    disposition: str | None
    dkim: str | None
    spf: str | None
    header_from: str
    envelope_from: str | None
    envelope_to: str | None
    reasons: tuple[OverrideReason, ...]
    dkim_results: tuple[DkimAuthResult, ...]
    spf_results: tuple[SpfAuthResult, ...]
    dkim_aligned: bool
    spf_aligned: bool
    dmarc_pass: bool


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A <record> left out because it could not be read; ``index`` counts from 0."""

    index: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReportMetadata:
    """<report_metadata> plus the document-level <version>."""

    org_name: str
    email: str | None
    extra_contact_info: str | None
    report_id: str
    begin: datetime
    end: datetime
    generator: str | None = None
    errors: tuple[str, ...] = ()
    schema_version: str | None = None
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyPublished:
    """<policy_published>: the DMARC record the receiver found (defaults filled in)."""

    domain: str
    adkim: str
    aspf: str
    p: str | None
    sp: str | None
    np: str | None
    pct: int | None
    fo: str | None
    testing: str | None
    discovery_method: str | None


@dataclass(slots=True)
class Report:
    """A whole aggregate report, materialised."""

    metadata: ReportMetadata
    policy: PolicyPublished
    records: list[Record]
    skipped: list[SkippedRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)
    #: Every skipped record (``skipped`` lists only the first ones), and per reason.
    skipped_count: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def record_count(self) -> int:
        return len(self.records)

    @property
    def message_count(self) -> int:
        return sum(r.count for r in self.records)

    @property
    def dmarc_pass_count(self) -> int:
        """Messages (not records) that pass DMARC by the recomputed alignment."""
        return sum(r.count for r in self.records if r.dmarc_pass)
