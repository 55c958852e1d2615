"""The staging step of ingestion: read a report file to its end and leave, in files, exactly
what the store transaction writes: the record rows and the rollup aggregates.

It runs where parsing runs (a parse process, see workers.py, or the caller's thread), holds
no database connection (nor imports SQLAlchemy or sentinel.dns, to keep those processes
small), and hands back only a small summary (`Staged`), whatever the size of the report.
The files are in the store's own load format, so storing them costs the server
little Python: PostgreSQL's COPY text format (streamed as it is), or length-prefixed marshalled
batches of row tuples for SQLite's executemany.

The aggregates are the ones rollups.py's SQL would compute over the stored records (and
does compute, to take a report out again): per sending IP, per (IP, Header-From) and per
(IP, DKIM d= domain), plus the report's one stats row. Each report's sums stay below 2^40
(ParseLimits.max_messages), so Python ints and the database's BIGINT agree.
"""

from __future__ import annotations

import gc
import marshal
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from sentinel.domains.selectors import MAX_SELECTORS, is_valid_selector

from .api import auth_results_to_api, reasons_to_api
from .limits import ParseLimits
from .model import PolicyPublished, Record, ReportMetadata, SkippedRecord
from .parser import open_report

#: Rows per marshalled batch (and so per executemany): a record row is at most ~40 KB.
BATCH = 250
#: Each marshalled batch is preceded by its length in bytes, in this struct format.
FRAME = "<I"
#: Dispositions the stats count by name; anything else (or none) is "other".
DISPOSITIONS = ("none", "pass", "quarantine", "reject")
#: Kinds of remembered names per (IP, day): Header-From and DKIM d= domains.
HEADER_FROM, DKIM_DOMAIN = "h", "d"
#: Names are kept to the rollup column's length.
NAME_LENGTH = 255
#: The staged aggregate rows: per IP, and per (IP, kind, name).
SOURCE_COLUMNS = ("source_ip", "messages", "dmarc_pass", "dmarc_fail", "dkim_aligned", "spf_aligned")
NAME_COLUMNS = ("source_ip", "kind", "name", "messages")
STAT_COLUMNS = ("messages", "dmarc_pass", "dkim_aligned", "spf_aligned", "disposition_none", "disposition_pass",
                "disposition_quarantine", "disposition_reject", "disposition_other")
#: Dialects whose load format is COPY text; every other is marshalled batches.
COPY_DIALECTS = frozenset({"postgresql"})


@dataclass(frozen=True)
class Header:
    """What a report says about itself before its records."""

    metadata: ReportMetadata
    policy: PolicyPublished


@dataclass(frozen=True)
class StagedFile:
    path: str
    columns: tuple[str, ...]
    rows: int

    def load(self, session: Any, table: Any, format: str) -> None:
        """Write the rows into `table` in the session's transaction: COPY text ("copy",
        PostgreSQL) or the marshalled batches through executemany."""
        from sentinel.store.bulk import copy_file, insert_many  # the server's side only: SQLAlchemy

        if not self.rows:
            return
        if format == "copy":
            copy_file(session, table, self.columns, self.path)
            return
        for batch in self.batches():
            insert_many(session, table, self.columns, batch)

    def batches(self) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a "marshal" file, batch by batch (each a FRAME length, then marshal bytes)."""
        size = struct.calcsize(FRAME)
        with open(self.path, "rb") as f:
            while head := f.read(size):
                (length,) = struct.unpack(FRAME, head)
                yield marshal.loads(f.read(length))


@dataclass(frozen=True)
class Staged:
    """A report read to its end: its summary, and where its rows wait to be stored."""

    header: Header
    record_count: int
    message_count: int
    dmarc_pass_count: int
    skipped: list[SkippedRecord]
    skipped_count: int
    skipped_by_reason: dict[str, int]
    warnings: list[str]
    extensions: list[str]
    #: DKIM selectors that passed for the monitored domain (SelectorCollector).
    selectors: list[str]
    #: The report's tallies, in STAT_COLUMNS order (its stats row, minus the key and `reports`).
    stats: tuple[int, ...]
    records: StagedFile
    sources: StagedFile
    names: StagedFile
    #: "copy" (PostgreSQL COPY text) or "marshal" (batches of tuples).
    format: str = "marshal"


def read_header(path: str, limits: ParseLimits) -> Header:
    """The report's metadata and policy; raises InvalidReport as open_report does."""
    with open_report(Path(path), limits) as reader:
        return Header(reader.metadata, reader.policy)


class SelectorCollector:
    """DKIM selectors that passed for exactly the monitored domain.

    Only d=<domain> selectors are kept because a scan probes <selector>._domainkey.<domain>;
    only passing ones, because a failing signature may carry a forged selector and a pass
    proves the key is published.
    """

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.found: dict[str, None] = {}

    def add(self, record: Record) -> None:
        for result in record.dkim_results:
            if result.result == "pass" and result.selector and result.domain == self.domain:
                selector = result.selector.strip()
                if not is_valid_selector(selector):
                    continue
                selector = selector.lower()
                if selector not in self.found and len(self.found) < MAX_SELECTORS:
                    self.found[selector] = None


#: The `report_records` columns, in the order of ``record_row``'s values.
RECORD_COLUMNS = (
    "report_id", "position", "source_ip", "count", "disposition", "dkim", "spf", "dmarc_pass",
    "dkim_aligned", "spf_aligned", "header_from", "envelope_from", "envelope_to", "details",
)
def _dumps(details: dict[str, Any]) -> str:
    # orjson: ~5x the standard encoder on the one JSON column written per record.
    return orjson.dumps(details).decode("utf-8")


def record_row(report_id: str, r: Record) -> tuple[Any, ...]:
    """A `report_records` row for one parsed record; `details` holds what the columns do not."""
    details = {"reasons": reasons_to_api(r), "authResults": auth_results_to_api(r)}
    return (
        report_id, r.index, r.source_ip, r.count, r.disposition, r.dkim, r.spf, r.dmarc_pass,
        r.dkim_aligned, r.spf_aligned, r.header_from, r.envelope_from, r.envelope_to, _dumps(details),
    )


# -- row files ---------------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int):
        return str(value)
    return str(value).translate(_COPY_ESCAPES)


class RowFile:
    """Rows appended to a file in one load format; `rows` counts them."""

    def __init__(self, path: Path, columns: tuple[str, ...], copy: bool) -> None:
        self.path = path
        self.columns = columns
        self.copy = copy
        self.rows = 0
        self._pending: list[tuple[Any, ...]] = []
        self._file: IO[bytes] = path.open("wb")

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows += 1
        self._pending.append(row)
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self.copy:
            text = "".join("\t".join(map(_copy_value, row)) + "\n" for row in self._pending)
            self._file.write(text.encode("utf-8"))
        else:
            # Length-prefixed, so the reader loads each batch from bytes: marshal.load on a
            # file calls its read method per object (~10x slower).
            blob = marshal.dumps(self._pending)
            self._file.write(struct.pack(FRAME, len(blob)) + blob)
        self._pending = []

    def close(self) -> StagedFile:
        self._flush()
        self._file.close()
        return StagedFile(str(self.path), self.columns, self.rows)


# -- aggregates --------------------------------------------------------------------------


_DISPOSITION_SLOTS: dict[str | None, int] = {d: 4 + i for i, d in enumerate(DISPOSITIONS)}
_intern = sys.intern


class Tallies:
    """The rollup aggregates of one report, added up record by record."""

    def __init__(self) -> None:
        self.stats = [0] * len(STAT_COLUMNS)
        # source_ip -> [messages, dmarc_pass, dmarc_fail, dkim_aligned, spf_aligned]
        self.sources: dict[str, list[int]] = {}
        # (source_ip, kind, name) -> messages
        self.names: dict[tuple[str, str, str], int] = {}

    def add(self, r: Record) -> None:
        count = r.count
        passed = count if r.dmarc_pass else 0
        dkim = count if r.dkim_aligned else 0
        spf = count if r.spf_aligned else 0
        s = self.stats
        s[0] += count
        s[1] += passed
        s[2] += dkim
        s[3] += spf
        s[_DISPOSITION_SLOTS.get(r.disposition, 8)] += count
        ip = r.source_ip
        source = self.sources.get(ip)
        if source is None:
            self.sources[ip] = [count, passed, count - passed, dkim, spf]
        else:
            source[0] += count
            source[1] += passed
            source[2] += count - passed
            source[3] += dkim
            source[4] += spf
        names = self.names
        # Interned: a report names a few hundred domains over its many records.
        key = (ip, HEADER_FROM, _intern(r.header_from[:NAME_LENGTH]))
        names[key] = names.get(key, 0) + count
        results = r.dkim_results
        if not results:
            return
        # Each distinct d= domain of the record once, as the SQL's DISTINCT per record.
        signed: tuple[str, ...]
        if len(results) == 1:
            domain = results[0].domain
            signed = (domain[:NAME_LENGTH],) if domain else ()
        else:
            signed = tuple({d.domain[:NAME_LENGTH]: None for d in results if d.domain})
        for domain in signed:
            key = (ip, DKIM_DOMAIN, _intern(domain))
            names[key] = names.get(key, 0) + count


def stage_report(path: str, limits: ParseLimits, report_id: str, domain: str, dialect: str,
                 directory: str) -> Staged:
    """Read the report at `path` to its end, writing its record rows and aggregates into
    `directory`; `domain` is the monitored domain it was matched to (for its selectors).

    Raises InvalidReport (nothing usable is left behind: the caller drops the directory).
    """
    copy = dialect in COPY_DIALECTS
    folder = Path(directory)
    tallies = Tallies()
    selectors = SelectorCollector(domain)
    records = RowFile(folder / "records", RECORD_COLUMNS, copy)
    # The tallies hold hundreds of thousands of small acyclic objects: cyclic GC passes over
    # them would only slow the read down.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with open_report(Path(path), limits) as reader:
            for record in reader:
                records.add(record_row(report_id, record))
                tallies.add(record)
                selectors.add(record)
            header = Header(reader.metadata, reader.policy)
    finally:
        if collecting:
            gc.enable()
        staged_records = records.close()
    sources = RowFile(folder / "sources", SOURCE_COLUMNS, copy)
    for ip, values in tallies.sources.items():
        sources.add((ip, *values))
    names = RowFile(folder / "names", NAME_COLUMNS, copy)
    for (ip, kind, name), messages in tallies.names.items():
        names.add((ip, kind, name, messages))
    return Staged(
        header=header,
        record_count=reader.record_count,
        message_count=reader.message_count,
        dmarc_pass_count=reader.dmarc_pass_count,
        skipped=list(reader.skipped),
        skipped_count=reader.skipped_count,
        skipped_by_reason=dict(reader.skipped_by_reason),
        warnings=list(reader.warnings),
        extensions=reader.extensions,
        selectors=list(selectors.found),
        stats=tuple(tallies.stats),
        records=staged_records,
        sources=sources.close(),
        names=names.close(),
        format="copy" if copy else "marshal",
    )
