"""Small read-only stream wrappers: peeking, size caps and UTF-8 repair.

Each wraps anything with ``read(n)`` and is itself readable that way, so the
layers (file -> gunzip -> cap -> repair -> lxml) stream without buffering.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Protocol

from sentinel.errors import InvalidReport

from .limits import exceeded

CHUNK = 64 * 1024
#: Compressed bytes taken at a time: small, so a bomb's ratio is judged early.
INPUT_CHUNK = 16 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_exactly(stream: Readable, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at end of stream (``read`` may return short)."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(remaining, CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


class HeadStream:
    """A stream whose first bytes were already read (to sniff them) and are replayed."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                out, self._head = self._head, b""
                if size < 0:
                    return out + self._rest.read()
                return out
            out, self._head = self._head[:size], self._head[size:]
            return out
        return self._rest.read(size)


def peek(stream: Readable, size: int) -> tuple[bytes, HeadStream]:
    """The first ``size`` bytes of a stream and a stream that still yields them."""
    head = read_exactly(stream, size)
    return head, HeadStream(head, stream)


class CappedStream:
    """Refuses to yield more than ``limit`` bytes: the guard against compression bombs.

    With ``consumed`` (the compressed bytes read so far), also refuses a layer whose
    output outgrows its input by more than ``max_ratio`` once it has produced ``floor``
    bytes, so a bomb is stopped after a few MiB rather than at ``limit``.
    Exceptions of the types in ``errors`` (a corrupt gzip, a bad zip CRC) raised by
    the wrapped stream become InvalidReport naming ``what``.
    """

    def __init__(self, stream: Readable, limit: int, what: str,
                 errors: tuple[type[BaseException], ...] = (), *,
                 consumed: Callable[[], int] | None = None, max_ratio: int = 0,
                 floor: int = 0) -> None:
        self._stream = stream
        self._limit = limit
        self._what = what
        self._errors = errors
        self._consumed = consumed
        self._max_ratio = max_ratio
        self._floor = floor
        self.total = 0

    def read(self, size: int = -1, /) -> bytes:
        if size < 0 or size > CHUNK:
            size = CHUNK
        try:
            chunk = self._stream.read(size)
        except InvalidReport:
            raise
        except self._errors as exc:
            raise InvalidReport(f"{self._what} is corrupt or truncated ({exc}).") from None
        self.total += len(chunk)
        if self.total > self._limit:
            raise exceeded(
                "max_decompressed_bytes",
                f"{self._what} inflates to more than {self._limit // (1024 * 1024)} MiB "
                "(ParseLimits.max_decompressed_bytes); refused as a possible compression bomb.",
            )
        if self._consumed is not None and self.total > self._floor:
            consumed = max(1, self._consumed())
            if self.total > consumed * self._max_ratio:
                raise exceeded(
                    "max_inflation_ratio",
                    f"{self._what} inflates {self.total // consumed}-fold (more than "
                    f"{self._max_ratio}:1, ParseLimits.max_inflation_ratio); real reports "
                    "compress far less, so it is refused as a compression bomb.",
                )
        return chunk


class Utf8Repair:
    """Passes UTF-8 through, replacing invalid byte sequences with U+FFFD.

    Real reporters occasionally emit a stray Latin-1 byte in a domain name; libxml2
    rejects the whole document for it, so the bytes are repaired (and the caller
    warned through ``replaced_at``, the offset of the first bad byte).
    """

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._carry = b""
        self._offset = 0
        self._eof = False
        self.replaced_at: int | None = None

    def read(self, size: int = -1, /) -> bytes:
        if self._eof:
            return b""
        if size < 0 or size > CHUNK:
            size = CHUNK
        chunk = self._stream.read(size)
        if not chunk:
            self._eof = True
            data, self._carry = self._carry, b""
        else:
            data, self._carry = _split_incomplete(self._carry + chunk)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.replaced_at is None:
                self.replaced_at = self._offset + exc.start
            self._offset += len(data)
            return data.decode("utf-8", "replace").encode("utf-8")
        self._offset += len(data)
        if not data and not self._eof:
            return self.read(size)
        return data


def _split_incomplete(data: bytes) -> tuple[bytes, bytes]:
    """Split off a multi-byte UTF-8 sequence cut by the chunk boundary."""
    i = len(data) - 1
    while i >= 0 and len(data) - i <= 4 and (data[i] & 0xC0) == 0x80:
        i -= 1
    if i < 0:
        return data, b""
    lead = data[i]
    if lead >= 0xF0:
        need = 4
    elif lead >= 0xE0:
        need = 3
    elif lead >= 0xC0:
        need = 2
    else:
        need = 1
    if len(data) - i < need:
        return data[:i], data[i:]
    return data, b""


class GunzipStream:
    """Streaming gunzip of one or more concatenated members (RFC 1952 §2.2).

    Unlike ``gzip.GzipFile`` it ignores bytes after the last member that are not
    another member (mail gateways append CRLFs), noting it in ``trailing_garbage``.
    Raises InvalidReport for corrupt or truncated data.
    """

    def __init__(self, stream: Readable, what: str) -> None:
        self._stream = stream
        self._what = what
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._done = False
        self._started = False
        self.trailing_garbage = False
        #: Compressed bytes taken from the wrapped stream so far.
        self.consumed = 0

    def read(self, size: int = -1, /) -> bytes:
        if size < 0 or size > CHUNK:
            size = CHUNK
        while not self._done:
            pending = self._inflate.unconsumed_tail
            if pending:
                data = pending
            else:
                data = self._stream.read(INPUT_CHUNK)
                self.consumed += len(data)
                if not data:
                    if self._started and not self._inflate.eof:
                        raise InvalidReport(f"{self._what} is truncated (the gzip stream ends "
                                            "before its end marker).")
                    self._done = True
                    break
            self._started = True
            try:
                out = self._inflate.decompress(data, size)
            except zlib.error as exc:
                raise InvalidReport(f"{self._what} is corrupt ({exc}).") from None
            if self._inflate.eof:
                rest = self._inflate.unused_data
                self._next_member(rest)
            if out:
                return out
        return b""

    def _next_member(self, rest: bytes) -> None:
        rest = rest.lstrip(b"\x00")
        if not rest:
            more = self._stream.read(CHUNK)
            self.consumed += len(more)
            rest = more.lstrip(b"\x00")
            if not rest:
                self._done = True
                return
        if rest.startswith(b"\x1f\x8b"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self._started = False
            self.consumed -= len(rest)  # read again through the HeadStream
            self._stream = HeadStream(rest, self._stream)
        else:
            self.trailing_garbage = True
            self._done = True
