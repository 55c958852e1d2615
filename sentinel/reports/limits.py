"""Caps that keep hostile or absurd report files from hurting the service."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024
#: Element depth libxml2 accepts while ``huge_tree`` is off (a report needs 5).
XML_MAX_DEPTH = 256


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Every cap the report parser enforces; exceeding one raises InvalidReport.

    The defaults accept any real aggregate report seen in the wild (the largest
    providers send a few MB) with a wide margin, and refuse compression bombs.
    """

    #: Bytes of XML (or of any decompressed layer) read before giving up: a gzip
    #: or zip bomb is refused as soon as it inflates past this.
    max_decompressed_bytes: int = 512 * MIB
    #: Members of a zip archive; archives with more are refused before any is read.
    max_zip_members: int = 64
    #: Container layers (gzip in zip in e-mail ...) before the XML.
    max_nesting: int = 4
    #: Raw size of an e-mail message (MIME parsing holds the message in memory).
    max_message_bytes: int = 64 * MIB
    #: <record> elements in one report.
    max_records: int = 2_000_000
    #: Bytes of one top-level element (a <record> is usually under 2 KB); bounds the
    #: tree built in memory at any time. XML depth is capped at XML_MAX_DEPTH by
    #: libxml2 itself, as ``huge_tree`` stays off.
    max_element_bytes: int = 1 * MIB
    #: Characters of one text value kept (longer values are cut, not refused).
    max_text_length: int = 1_000
    #: Bytes of the start of the document searched for its XML prolog.
    max_prolog_bytes: int = 64 * 1024


DEFAULT_LIMITS = ParseLimits()
