"""What a caller may hand the parser, and how to read it again for recovery."""

from __future__ import annotations

import io
import os
from contextlib import ExitStack
from pathlib import Path
from typing import IO, BinaryIO

from sentinel.errors import InvalidReport

ReportSource = bytes | bytearray | memoryview | BinaryIO | IO[bytes] | os.PathLike[str]


class Origin:
    """Opens the caller's source, again if needed (malformed XML is re-read leniently).

    Bytes and paths can always be re-read; a stream only if it is seekable.
    Raises TypeError for anything else (a ``str`` is refused as ambiguous).
    """

    def __init__(self, source: ReportSource) -> None:
        self._data: bytes | None = None
        self._path: Path | None = None
        self._stream: IO[bytes] | None = None
        self._start = 0
        self._opened = False
        if isinstance(source, bytes | bytearray | memoryview):
            self._data = bytes(source)
        elif isinstance(source, os.PathLike):
            self._path = Path(source)
        elif hasattr(source, "read"):
            self._stream = source
            self.reopenable = False
            try:
                if source.seekable():
                    self._start = source.tell()
                    self.reopenable = True
            except (OSError, ValueError, AttributeError):
                pass
            return
        else:
            raise TypeError("a report source must be bytes, a binary stream or a path, "
                            f"not {type(source).__name__}")
        self.reopenable = True

    def open(self, stack: ExitStack) -> tuple[IO[bytes], IO[bytes] | None]:
        """A fresh stream from the start, and the same stream if it is seekable."""
        if self._data is not None:
            buffer = io.BytesIO(self._data)
            return buffer, buffer
        if self._path is not None:
            try:
                handle = stack.enter_context(self._path.open("rb"))
            except OSError as exc:
                raise InvalidReport(f"The file cannot be read: {exc.strerror}.") from None
            return handle, handle
        assert self._stream is not None
        if self.reopenable:
            self._stream.seek(self._start)
            return self._stream, self._stream
        if self._opened:
            raise InvalidReport("The report stream cannot be read a second time.")
        self._opened = True
        return self._stream, None
