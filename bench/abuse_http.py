"""Probes at the HTTP layer (raw sockets where httpx would refuse to misbehave):
D1 unauthenticated chunked bodies, D2 huge headers, D11 malformed input, D13 the
trailing-slash redirect. Loopback only."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from abuse_files import nested_multipart_email
from abuse_support import Outcome, fmt_counts, status_of

if TYPE_CHECKING:
    from bench_abuse import Bench

MIB = 1024 * 1024


def _status_line(data: bytes) -> str:
    parts = data.split(b" ", 2)
    return parts[1].decode("ascii", "replace") if len(parts) > 1 and parts[0].startswith(b"HTTP/") else "garbage"


def read_status(sock: socket.socket, timeout: float) -> str | None:
    """The status code the server answered, "closed"/"reset", or None if it said nothing."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return _status_line(data) if data else "closed"
            data += chunk
    except TimeoutError:
        return _status_line(data) if data else None
    except OSError:
        return _status_line(data) if data else "reset"
    return _status_line(data)


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def send_until_answered(sock: socket.socket, pieces: Any, send_timeout: float = 5.0,
                        limit_s: float = 15.0) -> tuple[str | None, int]:
    """Send pieces until the server answers or closes, for at most ``limit_s``;
    (status, "stalled" when it stopped reading, "slow" past the limit, or None; bytes sent)."""
    sent = 0
    sock.settimeout(send_timeout)
    deadline = time.monotonic() + limit_s
    for piece in pieces:
        if time.monotonic() > deadline:
            return read_status(sock, 1) or "slow", sent
        if _readable(sock):
            return read_status(sock, 5), sent
        try:
            sock.sendall(piece)
        except TimeoutError:
            return read_status(sock, 5) or "stalled", sent  # the server stopped reading
        except OSError:
            return read_status(sock, 2) or "reset", sent
        sent += len(piece)
    return None, sent


def d1_chunked_bodies(b: Bench, o: Outcome) -> None:
    """20 idle unauthenticated chunked POSTs of 24 MiB each, then 10 s of silence."""
    server = b.fresh()
    path = f"/api/organizations/{b.owner['organizationId']}/reports"
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/xml\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    frame = b"10000\r\n" + b"<" * 0x10000 + b"\r\n"
    body_frames = 24 * MIB // 0x10000
    sent_total = [0]
    lock = threading.Lock()
    start = threading.Barrier(20)

    def one() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            start.wait()
            status, sent = send_until_answered(sock, [head, *([frame] * body_frames)])
            with lock:
                sent_total[0] += sent
            if status is None:
                status = read_status(sock, 10) or "held"  # idle: does the server ever give up?
            o.count(status)

    with b.watch(o):
        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    o.note(f"{sent_total[0] / MIB:.0f} MiB of body sent unauthenticated in all")
    o.check(not o.statuses.get("held"),
            f"{o.statuses.get('held', 0)} of 20 connections held with their body and no answer after 10 s idle")
    o.check(not o.statuses.get("401") or sent_total[0] < 20 * 12 * MIB,
            "the 401s came only after the bodies were read")


def _huge(sock: socket.socket, mode: str, limit: int) -> tuple[str, int]:
    sock.sendall(b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    if mode == "value":
        pieces = [b"X-Big: ", *([b"a" * MIB] * (limit // MIB)), b"\r\n\r\n"]
    else:
        line = b"X-Pad-%08d: " + b"b" * 80 + b"\r\n"
        batch = b"".join(line % i for i in range(MIB // 100))
        pieces = [*([batch] * (limit // len(batch))), b"\r\n"]
    status, sent = send_until_answered(sock, pieces)
    if status is None:
        status = read_status(sock, 20) or "no answer"
        return f"{status} (all sent)", sent
    return status, sent


def d2_huge_headers(b: Bench, o: Outcome) -> None:
    """4 connections sending up to 128 MiB of header; one 32 MiB Authorization header."""
    server = b.fresh()
    results: list[tuple[str, int]] = []
    lock = threading.Lock()

    def one(mode: str) -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            result = _huge(sock, mode, 128 * MIB)
            o.count(result[0].split(" ")[0])
            with lock:
                results.append(result)

    with b.watch(o):
        threads = [threading.Thread(target=one, args=(m,)) for m in ("value", "value", "count", "count")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            head = b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            status, sent = send_until_answered(sock, [head, *([b"A" * MIB] * 32), b"\r\n\r\n"])
            status = status or read_status(sock, 20) or "no answer"
            o.count(status)
    most = max(sent for _, sent in results) if results else 0
    o.note(f"header bytes the server took before answering: up to {most / MIB:.1f} MiB per connection")
    # Kernel buffers on loopback absorb a few MiB a server never read; past 16 MiB it was reading.
    o.check(most < 16 * MIB, f"the server read {most / MIB:.0f} MiB of one request's header without refusing it")
    o.check(status != "401", f"the 32 MiB Authorization header was read whole and answered {status}")
    o.note(f"32 MiB Authorization: {status} after {sent / MIB:.1f} MiB")


def d11_malformed(b: Bench, o: Outcome) -> None:
    """Each malformed input must be a 400/422 (or a success) in the JSON envelope, never a 500."""
    b.fresh()
    org = b.org("D11")
    deep = '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}"
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("JSON 10,000 deep", "POST", "/api/organizations", {"content": deep}),
        ("5,000-digit integer", "POST", "/api/organizations", {"content": '{"name": "n", "plan": ' + "7" * 5000 + "}"}),
        ("lone surrogate", "POST", "/api/organizations", {"content": '{"name": "\\ud800"}'}),
        ("NUL in name", "POST", "/api/organizations", {"content": '{"name": "a\\u0000b"}'}),
        ("NUL in description", "POST", f"/api/organizations/{org.id}/domains",
         {"content": json.dumps({"domain": f"nul-{b.run}.example.com", "description": "a\u0000b"})}),
        ("NUL in q", "GET", f"/api/organizations/{org.id}/domains?q=a%00b", {}),
        ("expiresAt 9999-12-31T23:59:59-01:00", "POST", "/api/tokens",
         {"content": json.dumps({"name": "far", "expiresAt": "9999-12-31T23:59:59-01:00"})}),
        ("expiresAt 2031-01-01t00:00:00z", "POST", "/api/tokens",
         {"content": json.dumps({"name": "lower", "expiresAt": "2031-01-01t00:00:00z"})}),
        ("e-mail, 2,000 nested multiparts", "POST", f"/api/organizations/{org.id}/reports",
         {"content": nested_multipart_email(org.domain, f"d11-{b.run}", 2000),
          "headers": {"Content-Type": "message/rfc822"}}),
    ]
    seen = {}
    with b.watch(o), b.client(org.token, timeout=30) as http:
        for label, method, path, kw in cases:
            headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
            status, r = status_of(o, partial(http.request, method, path, headers=headers, **kw))
            seen[label] = status
            enveloped = False
            if r is not None:
                try:
                    enveloped = isinstance(r.json(), dict) and "success" in r.json()
                except ValueError:
                    enveloped = False
            o.check(status != "500" and status[0] in "24", f"{label}: {status}")
            o.check(r is None or enveloped, f"{label}: {status} outside the JSON envelope")
    o.note("; ".join(f"{k}: {v}" for k, v in seen.items()))


def d13_trailing_slash(b: Bench, o: Outcome) -> None:
    """GET /api/me/ with a hostile Host header: no redirect built from it."""
    b.fresh()
    with b.watch(o), b.client(b.owner["token"]) as http:
        status, r = status_of(o, lambda: http.get("/api/me/", headers={"Host": "evil.example"}))
    location = r.headers.get("location") if r is not None else None
    o.check(not status.startswith("3"), f"/api/me/ answered {status} (Location: {location})")
    o.check(not location or "evil.example" not in location, f"Location built from the Host header: {location}")
    if r is not None:
        o.check("x-ratelimit-limit" in r.headers, "no rate-limit headers on the answer")
    o.note(f"statuses {fmt_counts(dict(o.statuses))}, Location {location}")
