"""uvicorn's httptools protocol with bounds on the request head.

httptools has no limit of its own: a client may send a header of any size, any number
of headers, or trickle them forever, and the server keeps the connection and the bytes.
Here the request line and headers together are capped in bytes and in lines, and must
arrive within a deadline from the connection opening (or the request's first byte);
past a bound the client gets 431 (or 408) in the error envelope and the connection is
closed. (uvicorn's h11 protocol caps the head's size but not its time, and is slower.)
These refusals carry X-Request-Id but no X-RateLimit-* headers: no request (path, token)
exists yet to charge or report a window for.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sentinel.errors import HeadersTooLarge, RequestTimeout, SentinelError
from sentinel.web.middleware import new_request_id
from sentinel.web.responses import JSON, dumps, error_payload

log = logging.getLogger("sentinel.web")

# The reason phrases of the statuses this module answers with.
_REASONS = {408: "Request Timeout", 431: "Request Header Fields Too Large"}


class _HeadRefused(Exception):
    """Stops httptools mid-parse once the refusal is written."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with `max_header_bytes`, `max_headers` and `header_timeout`."""

    max_header_bytes = 16 * 1024
    max_headers = 100
    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes = 0
        self._header_lines = 0
        self._in_head = True
        self._refused = False
        self._head_timer: asyncio.TimerHandle | None = self.loop.call_later(self.header_timeout, self._head_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # At most one read (256 KiB) past the cap is ever held before the refusal.
        if self._in_head and self._head_bytes > self.max_header_bytes and not self._refused:
            self._refuse(HeadersTooLarge(_too_large(self.max_header_bytes, self.max_headers)))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._header_lines = 0
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_late)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_lines += 1
        if self._header_lines > self.max_headers:
            self._refuse(HeadersTooLarge(_too_large(self.max_header_bytes, self.max_headers)))
            raise _HeadRefused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # else httptools is reporting our own _HeadRefused
            super().send_400_response(msg)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # An earlier request is still being answered (reading may be paused meanwhile):
            # the pipelined head gets its time once that answer is out.
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_late)
            return
        seconds = f"{self.header_timeout:g}"
        self._refuse(RequestTimeout(f"The request headers did not arrive within {seconds} seconds."))

    def _refuse(self, error: SentinelError) -> None:
        """Answer with `error` in the envelope and close; nothing more is read."""
        self._refused = True
        self._cancel_head_timer()
        if self.transport.is_closing():
            return
        log.warning("refused a request head from %s after %d bytes: %s", self.client, self._head_bytes, error.code)
        request_id = new_request_id()
        body = dumps(error_payload(error, request_id))
        head = (
            f"HTTP/1.1 {error.status} {_REASONS.get(error.status, '')}\r\n"
            f"content-type: {JSON}\r\ncontent-length: {len(body)}\r\nx-request-id: {request_id}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("latin-1") + body)
        self.transport.close()


def _too_large(max_bytes: int, max_lines: int) -> str:
    return f"The request line and headers must fit in {max_bytes:,} bytes and {max_lines} header lines."


def guarded_protocol(max_header_bytes: int, max_headers: int, header_timeout: float) -> type[Any]:
    """A GuardedHttpToolsProtocol class with these bounds, for uvicorn's `http=` option."""
    return type(
        "ConfiguredGuardedHttpToolsProtocol",
        (GuardedHttpToolsProtocol,),
        {"max_header_bytes": max_header_bytes, "max_headers": max_headers, "header_timeout": header_timeout},
    )
