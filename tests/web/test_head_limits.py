"""D2: the request line and headers are bounded in bytes, in lines and in time."""

from __future__ import annotations

import logging
import re
import select
import threading

import pytest

from tests.support.server import LiveServer
from tests.web.raw import closed_by_server, connect, head, read_response

KIB = 1024
MIB = 1024 * KIB
# The cap (16 KiB) plus at most one socket read (256 KiB) is all the server may hold.
MOST_READ = 16 * KIB + 256 * KIB


def _bytes_read(caplog: pytest.LogCaptureFixture) -> list[int]:
    found = [re.search(r"after (\d+) bytes", r.getMessage()) for r in caplog.records]
    return [int(m.group(1)) for m in found if m]


@pytest.mark.parametrize("name", ["X-Padding", "Authorization"])
def test_huge_header_is_refused_after_bounded_bytes(
    live: LiveServer, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    piece = b"a" * (64 * KIB)
    with connect(live.port) as sock, caplog.at_level(logging.WARNING, logger="sentinel.web"):
        sock.sendall(f"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\n{name}: Bearer ".encode())
        sent = 0
        # Up to 32 MiB, a piece at a time, until the server answers.
        while sent < 32 * MIB and not select.select([sock], [], [], 0.05)[0]:
            sock.sendall(piece)
            sent += len(piece)
        if sent >= 32 * MIB:
            sock.sendall(b"\r\n\r\n")  # an unbounded server answers only now
        r = read_response(sock)
        assert r.status == 431, r
        assert r.json()["error"]["code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE"
        assert r.json()["error"]["requestId"] == r.headers["x-request-id"]
        assert r.headers["connection"] == "close"
        assert closed_by_server(sock)
    assert sent < 32 * MIB
    read = _bytes_read(caplog)
    assert read and max(read) <= MOST_READ, read


def test_too_many_header_lines_are_refused(live: LiveServer) -> None:
    with connect(live.port) as sock:
        sock.sendall(head("GET", "/health", {f"X-H{i}": "v" for i in range(150)}))
        r = read_response(sock)
        assert r.status == 431, r
        assert r.json()["error"]["code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE"
        assert closed_by_server(sock)


def test_ordinary_heads_pass(live: LiveServer) -> None:
    with connect(live.port) as sock:
        sock.sendall(head("GET", "/health", {f"X-H{i}": "v" * 100 for i in range(90)}))
        assert read_response(sock).status == 200
        sock.sendall(head("GET", "/health", {"X-Big": "v" * (15 * KIB)}))
        assert read_response(sock).status == 200


def test_headers_that_trickle_are_cut_off(strict: LiveServer) -> None:
    stop = threading.Event()
    with connect(strict.port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")

        def drip() -> None:  # a header line every 50 ms, for far longer than the 1 s deadline
            for i in range(400):
                if stop.wait(0.05):
                    return
                try:
                    sock.sendall(b"X-D%d: v\r\n" % i)
                except OSError:
                    return

        thread = threading.Thread(target=drip, daemon=True)
        thread.start()
        try:
            r = read_response(sock)
        finally:
            stop.set()
            thread.join(timeout=30)
        assert r.status == 408, r
        assert r.json()["error"]["code"] == "REQUEST_TIMEOUT"
        assert closed_by_server(sock)


def test_a_connection_that_sends_nothing_is_closed(strict: LiveServer) -> None:
    with connect(strict.port) as sock:
        r = read_response(sock)
        assert r.status == 408, r
        assert closed_by_server(sock)


def test_keep_alive_then_a_late_head_is_cut_off(strict: LiveServer) -> None:
    with connect(strict.port) as sock:
        sock.sendall(head("GET", "/health", {}))
        assert read_response(sock).status == 200
        sock.sendall(b"GET /health HTTP/1.1\r\n")  # and never the rest
        r = read_response(sock)
        assert r.status == 408, r
        assert closed_by_server(sock)
