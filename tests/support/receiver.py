"""A real webhook receiver on loopback: verifies every delivery with the `standardwebhooks`
library (not the project's code) and answers as scripted.

    with Receiver(secret) as rx:              # rx.url == "http://127.0.0.1:PORT/hook"
        rx.script([500, 500, 200])            # then 200 for ever (or `default=`)
        ...
        rx.requests                           # every request: headers, body, verified?, status
        rx.connections                        # TCP connections accepted
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0
    # Set to block the answer until the test releases it.
    hold: threading.Event | None = None


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    verified_with: list[str]
    status: int
    at: float

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class _Server(http.server.ThreadingHTTPServer):
    # Workers keep up to 32 attempts in flight each: a backlog of 5 (the default) drops their
    # connections under load, and a twice-failed delivery waits minutes for its next retry.
    request_queue_size = 256


class Receiver:
    def __init__(self, *secrets: str, default: Reply | int = 200, path: str = "/hook") -> None:
        self.secrets = list(secrets)
        self.default = default if isinstance(default, Reply) else Reply(default)
        self.path = path
        self.requests: list[Received] = []
        self.connections = 0
        self.in_flight: dict[str, int] = {}
        self.concurrent_duplicates: list[str] = []
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self.arrived = threading.Condition(self._lock)
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with owner._lock:
                    owner.connections += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                owner._handle(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A sender that went away mid-answer (a killed worker) is part of the test, not an error.
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def script(self, replies: Iterable[Reply | int]) -> None:
        with self._lock:
            self._script = [r if isinstance(r, Reply) else Reply(r) for r in replies]

    def _verify(self, body: bytes, headers: dict[str, str]) -> list[str]:
        ok = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            ok.append(secret)
        return ok

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        wid = headers.get("webhook-id", "")
        with self._lock:
            reply = self._script.pop(0) if self._script else self.default
            if self.in_flight.get(wid):
                self.concurrent_duplicates.append(wid)
            self.in_flight[wid] = self.in_flight.get(wid, 0) + 1
        verified_with = self._verify(body, headers)
        try:
            if reply.hold is not None:
                reply.hold.wait(30)
            if reply.delay:
                time.sleep(reply.delay)
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        finally:
            with self.arrived:
                self.in_flight[wid] -= 1
                self.requests.append(Received(headers, body, bool(verified_with), verified_with, reply.status,
                                              time.time()))
                self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until `count` requests were answered (raises AssertionError after `timeout`)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} of {count} deliveries arrived")
            return list(self.requests)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
