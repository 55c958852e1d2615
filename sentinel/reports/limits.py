"""Caps that bound the work, memory and time one hostile or absurd report file can cost.

Each cap is sized from what real reports need, with a wide margin. Exceeding one raises
InvalidReport naming the cap (``exceeded``); the 422 says which bound was hit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sentinel.errors import ErrorDetail, InvalidReport

MIB = 1024 * 1024
#: Element depth libxml2 accepts while ``huge_tree`` is off (a report needs 5).
XML_MAX_DEPTH = 256


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Every cap the report parser enforces; exceeding one raises InvalidReport.

    The defaults accept any real aggregate report seen in the wild (the largest
    providers send a few MB for a day of a busy domain) with a wide margin, and refuse
    compression bombs and record bombs after bounded work.
    """

    #: Bytes of XML (or of any decompressed layer) read before giving up. 200,000
    #: ordinary records are ~100 MB of XML; a layer inflating past this is refused.
    max_decompressed_bytes: int = 256 * MIB
    #: Output/input ratio of one compressed layer (gzip, zip member), checked once the
    #: layer has produced ``inflation_floor_bytes``. Real report XML deflates 10-105:1
    #: (the repetitive 900 KB fixture: 103:1); a file of identical records, the cheapest
    #: record bomb, reaches 260:1 and more, and runs of one byte ~1032:1. 150 refuses those
    #: after 4 MiB of output instead of after max_records (seconds of parsing).
    max_inflation_ratio: int = 150
    #: Output a layer may produce before its ratio is judged (small files may be extreme).
    inflation_floor_bytes: int = 4 * MIB
    #: Members of a zip archive; archives with more are refused before any is read.
    max_zip_members: int = 64
    #: Container layers (gzip in zip in e-mail ...) before the XML.
    max_nesting: int = 4
    #: Raw size of an e-mail message (MIME parsing holds the message in memory). Mail
    #: providers refuse messages over 20-50 MB, and a report attachment is a few MB.
    max_message_bytes: int = 32 * MIB
    #: MIME parts of an e-mail message, and how deeply multiparts nest (a report mail
    #: has 1-4 parts, 2 levels; a forwarded one a few more).
    max_mime_parts: int = 200
    max_mime_depth: int = 16
    #: <record> elements in one report (skipped ones included). A record is one
    #: (source IP, outcome) pair for a day: the largest real reports (big receivers,
    #: busy senders) list tens of thousands; 200,000 leaves a 4x margin while keeping
    #: one upload's insert into a short transaction.
    max_records: int = 200_000
    #: Messages one report (and so one record) may count. Google's daily report for the
    #: busiest domains counts well under 10^10; 10^12 is more mail than the world sends
    #: in three days. This bound also makes every stored sum safe (see rollups.py).
    max_messages: int = 10**12
    #: Bytes of one top-level element (a <record> is usually under 2 KB, 5 KB with many
    #: signatures); bounds the tree libxml2 builds between two Python events. XML depth
    #: is capped at XML_MAX_DEPTH by libxml2 itself, as ``huge_tree`` stays off.
    max_element_bytes: int = 64 * 1024
    #: DKIM results and SPF results kept per record (each); real records carry 1-3.
    #: Extra ones are dropped (and counted in a warning), bounding a record's memory.
    max_auth_results: int = 16
    #: <reason> elements kept per record (real records carry 0-2).
    max_reasons: int = 8
    #: Characters of one metadata text value kept (longer values are cut, not refused).
    max_text_length: int = 1_000
    #: Skipped records listed with their reason; beyond it they are only counted.
    max_skipped_sample: int = 100
    #: Bytes of the start of the document searched for its XML prolog.
    max_prolog_bytes: int = 64 * 1024
    #: Time budget for reading one report: 200,000 records take 10-40 s on a busy
    #: 2-core machine; the budget catches pathological input no other cap foresaw.
    max_seconds: float = 120.0


DEFAULT_LIMITS = ParseLimits()


def exceeded(limit: str, message: str) -> InvalidReport:
    """An INVALID_REPORT saying which ParseLimits bound was hit (also in ``details``)."""
    return InvalidReport(message, details=[ErrorDetail(f"limits.{limit}", message)])
