"""Stream an aggregate report's records with lxml iterparse, in flat memory.

RFC 7489 Appendix C and RFC 9990 documents are read alike. Elements are
cleared as soon as they are read, so memory does not grow with the number of
records. No DTD is loaded, no entity is resolved, nothing is fetched, and a
document with a DOCTYPE is refused before libxml2 sees it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from types import TracebackType
from typing import Final

from lxml import etree

from sentinel.errors import InvalidReport

from . import extract
from .feed import Tracker, check_deadline, check_prolog
from .fields import (
    RecordCaps,
    SkipRecord,
    local,
    read_metadata,
    read_policy,
    read_record,
    text,
    where,
)
from .limits import DEFAULT_LIMITS, XML_MAX_DEPTH, ParseLimits, exceeded
from .model import PolicyPublished, Record, Report, ReportMetadata, SkippedRecord
from .source import Origin, ReportSource
from .streams import peek

_HEADER_READY: Final = object()
_RESTART: Final = object()
_TOP_LEVEL_TAGS: Final = (
    "{*}feedback", "{*}record", "{*}report_metadata", "{*}policy_published", "{*}version",
    "{*}extension",
)
_PREMATURE_END = 77  # libxml2 XML_ERR_TAG_NOT_FINISHED


class ReportReader:
    """An open aggregate report: metadata and policy now, records as you iterate.

    Use as a context manager. ``metadata`` and ``policy`` are read when the
    reader is created; iterate (or call ``batches``) for the records, each
    yielded once. ``skipped`` (the first ``max_skipped_sample`` skipped records),
    ``skipped_count``, ``skipped_by_reason``, ``warnings`` and the running totals grow
    while iterating and are final once the records are exhausted. Memory stays bounded
    whatever the file holds: records are yielded one at a time and each is capped.
    """

    def __init__(self, source: ReportSource, limits: ParseLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.skipped: list[SkippedRecord] = []
        self.skipped_count = 0
        self.skipped_by_reason: dict[str, int] = {}
        self.warnings: list[str] = []
        self._caps = RecordCaps(limits.max_auth_results, limits.max_reasons, limits.max_messages)
        self._started_at = time.monotonic()
        self._deadline = self._started_at + limits.max_seconds
        self._extensions: set[str] = set()
        self.record_count = 0
        self.message_count = 0
        self.dmarc_pass_count = 0
        self.finished = False
        self._origin = Origin(source)
        self._stack = ExitStack()
        self._recover = False
        self._resume_from = 0
        self._metadata: ReportMetadata | None = None
        self._policy: PolicyPublished | None = None
        self._version: str | None = None
        self._namespace: str | None = None
        self._header_ready = False
        self._prescan = False
        try:
            self._start()
            while not self._header_ready:
                if self._pull() is None and not self._header_ready:
                    raise InvalidReport("The XML ends before the report's metadata.")
        except BaseException:
            self.close()
            raise

    # -- public surface -------------------------------------------------------------

    @property
    def metadata(self) -> ReportMetadata:
        assert self._metadata is not None
        return self._metadata

    @property
    def policy(self) -> PolicyPublished:
        assert self._policy is not None
        return self._policy

    @property
    def extensions(self) -> list[str]:
        """Namespaced extension elements seen so far (RFC 9990 §3.1.1.4)."""
        return sorted(self._extensions)

    def __iter__(self) -> Iterator[Record]:
        while True:
            record = self._pull()
            if record is None:
                return
            yield record

    def batches(self, size: int = 1000) -> Iterator[list[Record]]:
        """The records in lists of at most ``size``, for batched database writes."""
        batch: list[Record] = []
        for record in self:
            batch.append(record)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def read_all(self) -> Report:
        """Materialise the records not yet iterated into a Report, and close."""
        # Many small acyclic objects: cyclic GC passes would only slow the build down.
        collecting = gc.isenabled()
        gc.disable()
        try:
            records = list(self)
        finally:
            if collecting:
                gc.enable()
            self.close()
        return Report(self.metadata, self.policy, records, list(self.skipped),
                      list(self.warnings), self.extensions, self.skipped_count,
                      dict(self.skipped_by_reason))

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ReportReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- machinery ------------------------------------------------------------------

    def _start(self) -> None:
        self._stack.close()
        self._stack = ExitStack()
        raw, seekable = self._origin.open(self._stack)
        xml = self._stack.enter_context(extract.open_xml(raw, self.limits, seekable=seekable))
        head, stream = peek(xml.stream, self.limits.max_prolog_bytes)
        check_prolog(head, self.limits.max_prolog_bytes)
        self._xml = xml
        self._tracker = Tracker(stream, self.limits.max_element_bytes, self._deadline,
                                 self.limits.max_seconds)
        self._events = etree.iterparse(
            self._tracker, events=("start", "end"), tag=_TOP_LEVEL_TAGS,
            resolve_entities=False, no_network=True,
            load_dtd=False, dtd_validation=False, attribute_defaults=False, huge_tree=False,
            remove_comments=True, remove_pis=True, recover=self._recover,
        )
        self._gen = self._walk()

    def _pull(self) -> Record | None:
        """The next record, or None at the end; handles malformed XML."""
        while not self.finished:
            gen = self._gen
            try:
                item = next(gen)
            except StopIteration:
                if gen is not self._gen:
                    continue  # restarted from the beginning
                self._finish()
                return None
            except etree.XMLSyntaxError as exc:
                self._on_syntax_error(exc)
                continue
            if item is _HEADER_READY:
                return None
            if item is _RESTART:
                continue
            assert isinstance(item, Record)
            return item
        return None

    def _finish(self) -> None:
        self.finished = True
        if self._caps.dropped:
            self.warnings.append(
                f"{self._caps.dropped} auth results or reasons beyond {self.limits.max_auth_results} "
                f"DKIM and {self.limits.max_auth_results} SPF results and {self.limits.max_reasons} "
                "reasons per record were dropped (ParseLimits.max_auth_results, max_reasons)."
            )
        if self._xml.repair is not None and self._xml.repair.replaced_at is not None:
            self.warnings.append(
                f"Invalid UTF-8 at byte {self._xml.repair.replaced_at} of the XML was replaced "
                "with U+FFFD."
            )
        self.close()

    def _on_syntax_error(self, exc: etree.XMLSyntaxError) -> None:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        detail = exc.msg.split(", line ")[0] if exc.msg else "malformed XML"
        code: int = getattr(exc, "code", 0)
        if "Excessive depth" in (exc.msg or ""):
            raise InvalidReport(
                f"The XML nests deeper than {XML_MAX_DEPTH} elements (line {line}); refused."
            ) from None
        at_end = code == _PREMATURE_END or line >= self._tracker.lines
        truncated = self._tracker.eof and at_end
        if truncated:
            raise InvalidReport(
                f"The report is truncated: the XML ends at line {line} before the report is "
                f"complete ({detail})."
            ) from None
        if self._recover and code in (1, 4) and not self._header_ready:
            raise InvalidReport(f"{extract.NOT_AGGREGATE}: {self._xml.description} holds no "
                                f"readable XML element ({detail}).") from None
        if self._recover or not self._origin.reopenable:
            raise InvalidReport(
                f"The XML is malformed at line {line}, column {column}: {detail}."
            ) from None
        self.warnings.append(
            f"The XML is malformed at line {line}, column {column} ({detail}); it was re-read "
            "in recovery mode, so values near that line may be incomplete."
        )
        self._recover = True
        self._resume_from = self._index
        self._start()

    def _walk(self) -> Iterator[object]:
        """Drive iterparse; top-level children are read once complete, in document order.

        Only the few top-level element names raise Python events (the rest of the
        tree is built in C). Children of <feedback> are handled when the next one
        starts, or <feedback> ends, using the tree rather than end events: in
        recovery mode libxml2 can deliver end events late, but its tree is right.
        """
        feedback: etree._Element | None = None
        self._index = 0
        for event, el in self._events:
            if event == "end":
                if el is feedback:
                    yield from self._drain(feedback, None)
                    return
                continue
            if feedback is None:
                if getattr(el.getroottree().docinfo, "doctype", ""):
                    raise InvalidReport("The XML declares a DOCTYPE; it is refused.")
                feedback = self._find_feedback(el)
                continue
            if el.getparent() is feedback:
                self._tracker.mark(el)
                for item in self._drain(feedback, el):
                    if item is _RESTART:
                        return
                    yield item
        if feedback is None:
            root = self._events.root
            name = local(root.tag) if root is not None else ""
            if name and name != "feedback":
                raise InvalidReport(f"{extract.NOT_AGGREGATE}: the XML's root element is "
                                    f"<{name}>, not <feedback>.")
            raise InvalidReport(f"{extract.NOT_AGGREGATE}: the XML has no <feedback> element.")
        # The document ended without closing <feedback> (recovery mode): read what is there.
        yield from self._drain(feedback, None)

    def _find_feedback(self, el: etree._Element) -> etree._Element:
        parent = el.getparent()
        name = local(el.tag)
        if name == "feedback":
            if parent is None:
                self._namespace = _namespace(el.tag)
                return el
            if parent.getparent() is None:
                # A stray wrapper such as an unclosed <xs:schema> (seen in the wild).
                self.warnings.append(f"The <feedback> element is wrapped in "
                                     f"<{local(parent.tag)}>; the wrapper was ignored.")
                self._namespace = _namespace(el.tag)
                return el
        root = el.getroottree().getroot()
        raise InvalidReport(f"{extract.NOT_AGGREGATE}: the XML's root element is "
                            f"<{local(root.tag)}>, not <feedback> (found <{name}> at "
                            f"{where(el)}).")

    def _drain(self, feedback: etree._Element, upto: etree._Element | None
               ) -> Iterator[object]:
        """Read and free the complete children of <feedback> before ``upto``."""
        while len(feedback):
            child = feedback[0]
            if child is upto:
                return
            name = local(child.tag)
            if name == "record":
                if not self._header_ready and not self._prescan:
                    status = self._complete_header(child)
                    if status == "restart":
                        yield _RESTART
                        return
                    if status == "ready":
                        self._header_ready = True
                        yield _HEADER_READY
                if not self._prescan:
                    record = self._record(child)
                    if record is not None:
                        yield record
            else:
                self._top_level(child)
            del feedback[0]
        if upto is None and (self._prescan or not self._header_ready):
            status = self._complete_header(None)
            if status == "restart":
                yield _RESTART
            elif status == "ready":
                self._header_ready = True
                yield _HEADER_READY

    def _top_level(self, el: etree._Element) -> None:
        try:
            self._read_top_level(el)
        except UnicodeDecodeError:
            # libxml2 in recovery mode keeps character references it rejected (&#xD800;).
            raise InvalidReport(f"<{local(el.tag)}> ({where(el)}) holds text that is not valid "
                                "Unicode.") from None

    def _read_top_level(self, el: etree._Element) -> None:
        name = local(el.tag)
        if name == "report_metadata" and self._metadata is None:
            self._metadata = read_metadata(el, self._version, self._namespace,
                                           self.limits.max_text_length)
        elif name == "policy_published" and self._policy is None:
            self._policy = read_policy(el)
        elif name == "version":
            self._version = text(el, 20)
        elif name == "extension":
            for child in el:
                if isinstance(child.tag, str) and len(self._extensions) < 20:
                    self._extensions.add(child.tag)

    def _complete_header(self, first_record: etree._Element | None) -> str:
        """Finish the header at the first record: "ready", "prescan" or "restart"."""
        if self._metadata is not None and self._policy is not None:
            if self._version and not self._metadata.schema_version:
                self._metadata = replace(self._metadata, schema_version=self._version)
            if self._prescan:
                # The header came after the records: read the records again from the start.
                self._prescan = False
                self._start()
                return "restart"
            return "ready"
        missing = "<report_metadata>" if self._metadata is None else "<policy_published>"
        if first_record is None:
            raise InvalidReport(f"The report has no {missing}.")
        if not self._origin.reopenable:
            raise InvalidReport(f"{missing} comes after the first <record> ({where(first_record)})"
                                "; upload the file rather than a stream so it can be read twice.")
        self._prescan = True
        return "prescan"

    def _record(self, el: etree._Element) -> Record | None:
        index = self._index
        self._index += 1
        if index < self._resume_from:
            return None
        limits = self.limits
        if index >= limits.max_records:
            raise exceeded("max_records", f"The report has more than {limits.max_records} records "
                           "(ParseLimits.max_records); no real report is that large.")
        check_deadline(self._deadline, limits.max_seconds)
        try:
            record = read_record(el, index, self.policy, self._extensions, self._namespace,
                                 self._caps)
        except SkipRecord as exc:
            self._skip(index, exc)
            return None
        self.record_count += 1
        self.message_count += record.count
        if self.message_count > limits.max_messages:
            raise exceeded("max_messages", f"The report counts more than {limits.max_messages} "
                           "messages (ParseLimits.max_messages); no receiver sees that much mail.")
        if record.dmarc_pass:
            self.dmarc_pass_count += record.count
        return record


    def _skip(self, index: int, exc: SkipRecord) -> None:
        self.skipped_count += 1
        self.skipped_by_reason[exc.code] = self.skipped_by_reason.get(exc.code, 0) + 1
        if len(self.skipped) < self.limits.max_skipped_sample:
            self.skipped.append(SkippedRecord(index, str(exc)))


def _namespace(tag: str) -> str | None:
    return tag[1 : tag.find("}")] if tag.startswith("{") else None


def open_report(source: ReportSource, limits: ParseLimits = DEFAULT_LIMITS) -> ReportReader:
    """Open a DMARC aggregate report for streaming its records.

    ``source`` is the file's bytes, a binary stream or a path; its format
    (XML, gzip, zip, e-mail) is recognised from its content. Returns a
    ReportReader whose ``metadata`` and ``policy`` are already read.
    Raises InvalidReport (422) when the file is not an aggregate report, is
    broken beyond repair or exceeds a ParseLimits cap; iterating the records
    can raise it too (a truncated file, too many records). Raises TypeError
    for a source of another type.
    """
    return ReportReader(source, limits)


def parse_report(source: ReportSource, limits: ParseLimits = DEFAULT_LIMITS) -> Report:
    """Parse a whole DMARC aggregate report into memory; raises as ``open_report``."""
    with open_report(source, limits) as reader:
        return reader.read_all()
