"""A real authoritative DNS server on loopback (UDP and TCP) for tests and benchmarks.

Built on dnslib's socketserver-based server; answers come from zone text through
``sentinel.dns.zones.ZoneSet``. Usage::

    with LoopbackDnsServer([ZONE_TEXT, Path("tests/dns/zones/x.zone")], delay_ms=20) as srv:
        client = make_dns_client([srv.nameserver])      # "127.0.0.1:PORT"
        ...
        srv.queries            # [(name, type), ...] every question received, in order

Options: ``delay_ms`` (fixed delay before every answer), ``servfail`` (names answering
SERVFAIL), ``drop`` (names never answered: the client times out), ``ad_zones`` (names
under these get the AD flag, as a validating resolver would set it), ``udp_limit``
(answers larger than this over UDP come back truncated, forcing TCP).
Names in option sets are matched case-insensitively and without the final dot.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterable
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
        tcp = self.server.socket_type == socket.SOCK_STREAM
        if tcp:
            data = self.request.recv(65535)
            if len(data) < 2:
                return
            length = struct.unpack("!H", data[:2])[0]
            while len(data) - 2 < length:
                more = self.request.recv(65535)
                if not more:
                    return
                data += more
            data = data[2:2 + length]
        else:
            data, sock = self.request
        reply = owner._reply(data, tcp)
        if reply is None:
            return
        if tcp:
            self.request.sendall(struct.pack("!H", len(reply)) + reply)
        else:
            sock.sendto(reply, self.client_address)


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
        self._servers: list[DNSServer] = []
        self.port = 0

    @property
    def nameserver(self) -> str:
        """``ip:port`` as MAILSENTINEL_NAMESERVERS and ``make_dns_client`` take it."""
        return f"{self.address}:{self.port}"

    def start(self) -> LoopbackDnsServer:
        logger = DNSLogger(log="-request,-reply,-truncated,-error", prefix=False)
        for _ in range(50):
            udp = DNSServer(None, address=self.address, port=0, logger=logger, handler=_Handler)
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
            break
        else:
            raise OSError("no free port for the loopback DNS server")
        for srv in self._servers:
            srv.server.owner = self  # type: ignore[attr-defined]
            srv.start_thread()
        return self

    def stop(self) -> None:
        for srv in self._servers:
            srv.server.shutdown()
            srv.server.server_close()
        self._servers = []

    def __enter__(self) -> LoopbackDnsServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def reset_log(self) -> None:
        with self._lock:
            self.queries.clear()
            self.tcp_queries = 0
            self.max_in_flight = 0

    def _reply(self, data: bytes, tcp: bool) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        qname = question.name
        key = _norm(qname.to_text())
        with self._lock:
            self.queries.append((key, dns.rdatatype.to_text(question.rdtype)))
            self.tcp_queries += int(tcp)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            if key in self.drop:
                return None
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            if key in self.servfail:
                response.set_rcode(dns.rcode.SERVFAIL)
                return response.to_wire()
            result = self.zones.lookup(qname, question.rdtype)
            if result.rcode == "NXDOMAIN":
                response.set_rcode(dns.rcode.NXDOMAIN)
            response.answer.extend(result.cnames)
            if result.answer is not None:
                response.answer.append(result.answer)
            if any(qname.is_subdomain(z) for z in self.ad_zones):
                response.flags |= dns.flags.AD
            return self._wire(response, query, tcp)
        finally:
            with self._lock:
                self._in_flight -= 1

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

