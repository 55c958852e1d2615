"""The webhook side of the fleet: a loopback receiver, and what the database says was delivered.

The receiver answers every POST with 204 after ANSWER_DELAY seconds (asyncio: waiting costs no
thread), checks each delivery's signature with the endpoint's secret (Standard Webhooks, as a
real receiver would) and notes every arrival of each webhook-id on the run's clock, duplicates
included. Which process sent a request in flight is found from its source port
(`process_with_port`), so the harness can kill -9 a worker while it has deliveries in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sentinel.events.verify import verify_message

from .procs import ThrowawayDatabase, Timeline

# Long enough that a worker is often caught with attempts in flight, well under the attempt timeout.
ANSWER_DELAY = 1.0


@dataclass
class Arrival:
    at: float  # seconds on the run's clock
    valid: bool  # the signature verified with the endpoint's secret


@dataclass
class Receiver:
    timeline: Timeline
    secret: str = ""  # set once the endpoint exists (its create answer carries it)
    arrivals: dict[str, list[Arrival]] = field(default_factory=lambda: defaultdict(list))
    # Source port of each request being answered now -> its webhook-id.
    in_flight: dict[int, str] = field(default_factory=dict)
    port: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        started = threading.Event()

        async def serve() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            with contextlib.suppress(asyncio.CancelledError):
                async with self._server:
                    await self._server.serve_forever()

        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(serve(),), daemon=True,
                                        name="fleet-receiver")
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the webhook receiver did not start")
        self.url = f"http://127.0.0.1:{self.port}/hooks/fleet"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        peer_port = int(peer[1]) if peer else 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                message_id = headers.get("webhook-id", "")
                with self.lock:
                    self.in_flight[peer_port] = message_id
                    secret = self.secret
                valid = bool(secret) and verify_message(secret, head + body).valid
                arrival = Arrival(self.timeline.now(), valid)
                with self.lock:
                    self.arrivals[message_id].append(arrival)
                await asyncio.sleep(ANSWER_DELAY)
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                with self.lock:
                    self.in_flight.pop(peer_port, None)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            with self.lock:
                self.in_flight.pop(peer_port, None)
            writer.close()

    def snapshot(self) -> dict[str, list[Arrival]]:
        with self.lock:
            return {k: list(v) for k, v in self.arrivals.items()}

    def ports_in_flight(self) -> set[int]:
        with self.lock:
            return set(self.in_flight)

    def close(self) -> None:
        if self._server is not None:
            self.loop.call_soon_threadsafe(self._server.close)
        self._thread.join(timeout=5)


def process_with_port(pids: list[int], ports: set[int]) -> int | None:
    """The first of `pids` holding a loopback TCP socket whose local port is in `ports` (Linux /proc)."""
    if not ports:
        return None
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if len(cols) > 9 and int(cols[1].rsplit(":", 1)[1], 16) in ports:
                    inodes.add(cols[9])
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        return pid
    return None


@dataclass
class Delivered:
    """What the database holds for the endpoint at the end."""

    expected: dict[str, str]  # event id -> type: the org's events since the endpoint was created
    deliveries: dict[str, str]  # event id -> delivery status
    attempts: int


def delivered_facts(db: ThrowawayDatabase, webhook_id: str) -> Delivered:
    with db.connect() as conn:
        events = conn.execute(
            """SELECT e.id, e.type FROM events e JOIN webhooks w ON w.organization_id = e.organization_id
               WHERE w.id = %s AND e.created_at >= w.created_at""", (webhook_id,)).fetchall()
        rows = conn.execute("SELECT event_id, status FROM webhook_deliveries WHERE webhook_id = %s",
                            (webhook_id,)).fetchall()
        attempts = conn.execute(
            """SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
               WHERE d.webhook_id = %s""", (webhook_id,)).fetchone()
    return Delivered(expected={str(i): str(t) for i, t in events},
                     deliveries={str(i): str(s) for i, s in rows},
                     attempts=int(attempts[0]) if attempts else 0)
