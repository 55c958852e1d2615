"""What feeds lxml: the guarded byte stream, the prolog check and the time budget."""

from __future__ import annotations

import time

from lxml import etree

from sentinel.errors import InvalidReport

from . import extract
from .limits import exceeded
from .streams import Readable


class Tracker:
    """Feeds lxml and watches what it was given.

    Counts lines (to tell truncation from a mid-file error) and refuses to feed
    more than ``max_element_bytes`` past the start of the current top-level
    element, which bounds the tree lxml builds between two Python events.
    """

    def __init__(self, stream: Readable, max_element_bytes: int, deadline: float,
                 max_seconds: float) -> None:
        self._stream = stream
        self._limit = max_element_bytes
        self._deadline = deadline
        self._max_seconds = max_seconds
        self.lines = 1
        self.eof = False
        self.position = 0
        self._mark = 0
        self._mark_line = 1

    def mark(self, el: etree._Element) -> None:
        self._mark = self.position
        self._mark_line = int(getattr(el, "sourceline", 0) or self._mark_line)

    def read(self, size: int = -1, /) -> bytes:
        if self.position - self._mark > self._limit:
            raise exceeded(
                "max_element_bytes",
                f"The element of the report starting after line {self._mark_line} is larger "
                f"than {self._limit // 1024} KiB (ParseLimits.max_element_bytes).",
            )
        check_deadline(self._deadline, self._max_seconds)
        chunk = self._stream.read(size)
        if chunk:
            self.lines += chunk.count(b"\n")
            self.position += len(chunk)
        else:
            self.eof = True
        return chunk


def check_deadline(deadline: float, max_seconds: float) -> None:
    """Raises InvalidReport once the time budget for reading the report is spent."""
    if time.monotonic() > deadline:
        raise exceeded("max_seconds", f"Reading the report took more than {max_seconds:g} "
                       "seconds (ParseLimits.max_seconds); refused.")


def check_prolog(head: bytes, limit: int) -> None:
    """Refuse a DOCTYPE (entity expansion, external entities) before parsing starts."""
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    size = len(head)
    while pos < size:
        while pos < size and head[pos] in b" \t\r\n":
            pos += 1
        if head.startswith(b"<?", pos):
            end = head.find(b"?>", pos)
            pos = size if end < 0 else end + 2
        elif head.startswith(b"<!--", pos):
            end = head.find(b"-->", pos)
            pos = size if end < 0 else end + 3
        elif head.startswith(b"<!", pos):
            line = head.count(b"\n", 0, pos) + 1
            raise InvalidReport(
                f"The XML declares a DOCTYPE (line {line}); document type definitions are "
                "refused because they allow entity-expansion and external-entity attacks, "
                "and DMARC reports never need one."
            )
        else:
            return
    if size >= limit:
        raise InvalidReport(f"The XML has no root element in its first {limit} bytes.")
    raise InvalidReport(f"{extract.NOT_AGGREGATE}: the XML has no root element.")
