"""A real authoritative DNS server on loopback (UDP and TCP) for tests and benchmarks.

Built on dnslib's socketserver-based server; answers come from zone text through
``sentinel.dns.zones.ZoneSet``. Usage::

    with LoopbackDnsServer([ZONE_TEXT, Path("tests/dns/zones/x.zone")], delay_ms=20) as srv:
        client = make_dns_client([srv.nameserver])      # "127.0.0.1:PORT"
        ...
        srv.queries            # [(name, type), ...] every question received, in order

``hold()`` keeps every answer back until ``release()`` (a slow resolver that answers
exactly when a test says so).

Options: ``delay_ms`` (fixed delay before every answer), ``servfail`` (names answering
SERVFAIL), ``drop`` (names never answered: the client times out), ``ad_zones`` (names
under these get the AD flag, as a validating resolver would set it), ``udp_limit``
(answers larger than this over UDP come back truncated, forcing TCP).
Names in option sets are matched case-insensitively and without the final dot.
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
from dnslib.server import DNSHandler, DNSLogger, DNSServer

from sentinel.dns.zones import ZoneSet


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


class _Handler(DNSHandler):
    """Reads one query (UDP datagram or length-prefixed TCP) and answers via the server."""

    def handle(self) -> None:
        owner: LoopbackDnsServer = self.server.owner  # type: ignore[attr-defined]
        if self.server.socket_type == socket.SOCK_STREAM:
            data = self.request.recv(65535)
            if len(data) < 2:
                return
            length = struct.unpack("!H", data[:2])[0]
            while len(data) - 2 < length:
                more = self.request.recv(65535)
                if not more:
                    return
                data += more
            reply = owner._reply(data[2:2 + length], tcp=True)
            if reply is not None:
                owner._released.wait()
                time.sleep(owner.delay)
                self.request.sendall(struct.pack("!H", len(reply)) + reply)
            owner._done()
            return
        data, sock = self.request
        reply = owner._reply(data, tcp=False)
        if reply is None:
            owner._done()
        elif not owner._keep(sock, reply, self.client_address):
            owner._delayer.send_later(sock, reply, self.client_address, owner.delay)


class _UdpServer(socketserver.UDPServer):
    """One thread reads datagrams and answers at once; delays are scheduled, not slept."""

    allow_reuse_address = True


class _Delayer:
    """Sends UDP replies when their delay has passed, from one thread (no thread per query)."""

    def __init__(self, on_sent: Callable[[], None]) -> None:
        self._heap: list[tuple[float, int, socket.socket, bytes, tuple[str, int]]] = []
        self._cond = threading.Condition()
        self._seq = 0
        self._on_sent = on_sent
        self._stopped = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def send_later(self, sock: socket.socket, data: bytes, addr: tuple[str, int],
                   delay: float) -> None:
        if delay <= 0:
            sock.sendto(data, addr)
            self._on_sent()
            return
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (time.monotonic() + delay, self._seq, sock, data, addr))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (
                    not self._heap or self._heap[0][0] > time.monotonic()
                ):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, sock, data, addr = heapq.heappop(self._heap)
            with contextlib.suppress(OSError):
                sock.sendto(data, addr)
            self._on_sent()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(2)


class LoopbackDnsServer:
    """An in-process DNS server on 127.0.0.1 (random free port), UDP and TCP."""

    def __init__(
        self,
        zones: str | Path | Iterable[str | Path],
        *,
        delay_ms: float = 0,
        servfail: Iterable[str] = (),
        drop: Iterable[str] = (),
        ad_zones: Iterable[str] = (),
        udp_limit: int | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        items = [zones] if isinstance(zones, str | Path) else list(zones)
        texts = [
            Path(z).read_text(encoding="utf-8") if isinstance(z, Path) else z for z in items
        ]
        self.zones = ZoneSet.from_texts(texts)
        self.delay = delay_ms / 1000.0
        self.servfail = {_norm(n) for n in servfail}
        self.drop = {_norm(n) for n in drop}
        self.ad_zones = [dns.name.from_text(n) for n in ad_zones]
        self.udp_limit = udp_limit
        self.address = address
        self.queries: list[tuple[str, str]] = []
        self.tcp_queries = 0
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self._held: list[tuple[socket.socket, bytes, tuple[str, int]]] = []
        self._cache: dict[tuple[object, ...], bytes] = {}
        self._seen: dict[tuple[bytes, bool], tuple[str, str, bytes]] = {}
        self._servers: list[DNSServer] = []
        self.port = 0

    @property
    def nameserver(self) -> str:
        """``ip:port`` as MAILSENTINEL_NAMESERVERS and ``make_dns_client`` take it."""
        return f"{self.address}:{self.port}"

    def start(self) -> LoopbackDnsServer:
        logger = DNSLogger(log="-request,-reply,-truncated,-error", prefix=False)
        for _ in range(50):
            udp = DNSServer(None, address=self.address, port=0, logger=logger, handler=_Handler,
                            server=_UdpServer)
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(
                    None, address=self.address, port=port, tcp=True, logger=logger,
                    handler=_Handler,
                )
            except OSError:
                udp.server.server_close()
                continue
            self.port = port
            self._servers = [udp, tcp]
            # Bursts of hundreds of concurrent questions must not overflow the socket.
            for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
                if option is None:
                    continue
                try:
                    udp.server.socket.setsockopt(socket.SOL_SOCKET, option, 8 * 1024 * 1024)
                    break
                except OSError:
                    continue
            break
        else:
            raise OSError("no free port for the loopback DNS server")
        self._delayer = _Delayer(self._done)
        for srv in self._servers:
            srv.server.owner = self  # type: ignore[attr-defined]
            srv.start_thread()
        return self

    def stop(self) -> None:
        self._released.set()
        for srv in self._servers:
            srv.server.shutdown()
            srv.server.server_close()
        self._servers = []
        self._delayer.stop()

    def __enter__(self) -> LoopbackDnsServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def hold(self) -> None:
        """Keep every answer back (UDP and TCP) until `release()`."""
        with self._lock:
            self._released.clear()

    def release(self) -> None:
        """Send the answers held back, and answer normally from now on."""
        with self._lock:
            self._released.set()
            held, self._held = self._held, []
        for sock, reply, addr in held:
            self._delayer.send_later(sock, reply, addr, self.delay)

    @property
    def held(self) -> int:
        """How many UDP answers are being held back now."""
        with self._lock:
            return len(self._held)

    def _keep(self, sock: socket.socket, reply: bytes, addr: tuple[str, int]) -> bool:
        with self._lock:
            if self._released.is_set():
                return False
            self._held.append((sock, reply, addr))
            return True

    def publish(self, zones: Iterable[str | Path]) -> None:
        """Answer from these zones from now on (a zone edited between two scans)."""
        texts = [Path(z).read_text(encoding="utf-8") if isinstance(z, Path) else z for z in zones]
        self.zones = ZoneSet.from_texts(texts)
        self._cache.clear()
        self._seen.clear()

    def reset_log(self) -> None:
        with self._lock:
            self.queries.clear()
            self.tcp_queries = 0
            self.max_in_flight = 0

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _reply(self, data: bytes, tcp: bool) -> bytes | None:
        """The wire reply to one query, or None to stay silent; counts it as in flight."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        # A question seen before (the same bytes after the id) is answered without parsing
        # it again: a real resolver answers a cached question in microseconds, and the
        # benchmarks' server shares the cores with the client it serves.
        seen = self._seen.get((data[2:], tcp))
        if seen is None:
            seen = self._parse(data, tcp)
            if seen is None:
                return None
            self._seen[(data[2:], tcp)] = seen
        key, rdtype, cached = seen
        with self._lock:
            self.queries.append((key, rdtype))
            self.tcp_queries += int(tcp)
        if key in self.drop:
            return None
        return data[:2] + cached[2:]

    def _parse(self, data: bytes, tcp: bool) -> tuple[str, str, bytes] | None:
        """(name, type, rendered answer) for a new question; None when it is not one."""
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        key = _norm(question.name.to_text())
        # Identical questions get identical answers: render once, then patch the query id.
        cache_key = (key, question.rdtype, query.flags, query.edns, query.payload, tcp)
        cached = self._cache.get(cache_key)
        if cached is None:
            cached = self._answer(query, key, tcp)
            self._cache[cache_key] = cached
        return key, dns.rdatatype.to_text(question.rdtype), cached

    def _answer(self, query: dns.message.Message, key: str, tcp: bool) -> bytes:
        question = query.question[0]
        qname = question.name
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if key in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire(max_size=65535)
        result = self.zones.lookup(qname, question.rdtype)
        if result.rcode == "NXDOMAIN":
            response.set_rcode(dns.rcode.NXDOMAIN)
        response.answer.extend(result.cnames)
        if result.answer is not None:
            response.answer.append(result.answer)
        if any(qname.is_subdomain(z) for z in self.ad_zones):
            response.flags |= dns.flags.AD
        return self._wire(response, query, tcp)

    def _wire(self, response: dns.message.Message, query: dns.message.Message, tcp: bool) -> bytes:
        if tcp:
            return response.to_wire(max_size=65535)
        limit = max(query.payload, 512) if query.edns >= 0 else 512
        if self.udp_limit is not None:
            limit = min(limit, self.udp_limit)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer.clear()
            response.flags |= dns.flags.TC
            return response.to_wire(max_size=65535)



# One domain with SPF and DMARC only: what the slow-resolver tests and benchmarks scan
# while the server holds or delays every answer.
SLOW_ZONE = """$ORIGIN slow.example.com.
$TTL 300
@        SOA  ns1 hostmaster 1 3600 600 86400 300
@        NS   ns1
ns1      A    127.0.0.53
@        TXT  "v=spf1 -all"
_dmarc   TXT  "v=DMARC1; p=reject"
"""
