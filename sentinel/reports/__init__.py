"""DMARC aggregate report parsing: pure, streaming and safe with hostile input.

Entry points: ``open_report`` (stream records), ``parse_report`` (whole report),
``to_api`` (the API's report object). Everything raises
``sentinel.errors.InvalidReport`` for files that are not readable reports.
"""

from __future__ import annotations

from .api import header_to_api, record_to_api, to_api
from .limits import DEFAULT_LIMITS, ParseLimits
from .model import (
    DkimAuthResult,
    OverrideReason,
    PolicyPublished,
    Record,
    Report,
    ReportMetadata,
    SkippedRecord,
    SpfAuthResult,
)
from .parser import ReportReader, open_report, parse_report
from .source import ReportSource

__all__ = [
    "DEFAULT_LIMITS",
    "DkimAuthResult",
    "OverrideReason",
    "ParseLimits",
    "PolicyPublished",
    "Record",
    "Report",
    "ReportMetadata",
    "ReportReader",
    "ReportSource",
    "SkippedRecord",
    "SpfAuthResult",
    "header_to_api",
    "open_report",
    "parse_report",
    "record_to_api",
    "to_api",
]
