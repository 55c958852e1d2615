"""What the SDK's tests share: the seed's tokens, the fixture reports, clients that record."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from mailsentinel import AsyncMailSentinel, MailSentinel

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "reports" / "aggregate"
SEED = json.loads((ROOT / "mocks" / "seed.json").read_text(encoding="utf-8"))
OWNER_TOKEN = SEED["organizations"][0]["owner"]["token"]["secret"]
VIEWER_TOKEN = SEED["organizations"][0]["members"][0]["token"]["secret"]
# Only against a mock or receiver that never answers: tests assert what happens, never how soon.
HANG_GUARD = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_due_jobs(mock_url: str) -> dict[str, object]:
    """POST /_mock/clock without moving time: whatever is due (deliveries, retries) runs now."""
    answer = httpx.post(f"{mock_url}/_mock/clock", json={"advanceSeconds": 0}, timeout=HANG_GUARD)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def eventually(check: Callable[[], bool]) -> None:
    """Wait until `check()` holds: the mock's own worker thread may still be recording the outcome
    of a delivery the receiver already answered. The bound only guards against a hang."""
    deadline = time.monotonic() + HANG_GUARD
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        time.sleep(0.02)


class Recorder:
    """What a client sent and got, seen by httpx event hooks on a real transport."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []

    def on_request(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def on_response(self, response: httpx.Response) -> None:
        self.responses.append(response)

    async def aon_request(self, request: httpx.Request) -> None:
        self.requests.append(request)

    async def aon_response(self, response: httpx.Response) -> None:
        self.responses.append(response)


class SleeplessClient(MailSentinel):
    """Records the waits between retries instead of sleeping them; `fixed_now` pins the clock
    used for X-RateLimit-Reset."""

    fixed_now: float | None = None

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.sleeps: list[float] = []

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def _now(self) -> float:
        return self.fixed_now if self.fixed_now is not None else super()._now()


class AsyncSleeplessClient(AsyncMailSentinel):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.sleeps: list[float] = []

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


class Receiver:
    """A real webhook receiver on a loopback port: keeps each delivery's body (bytes, as sent) and
    headers, answering `status` (204 unless a test makes it fail)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self.status = 204
        self._arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver._arrived:
                    receiver.deliveries.append((body, dict(self.headers.items())))
                    receiver._arrived.notify_all()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/mailsentinel"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, event: str, count: int = 1) -> list[tuple[bytes, dict[str, str]]]:
        """The deliveries of `event` once `count` have arrived (the mock may send from its own
        thread); the bound only guards against a hang."""
        def matching() -> list[tuple[bytes, dict[str, str]]]:
            return [d for d in self.deliveries if json.loads(d[0])["event"] == event]

        with self._arrived:
            if not self._arrived.wait_for(lambda: len(matching()) >= count, timeout=HANG_GUARD):
                raise AssertionError(f"no {event} delivery arrived: {[d[0][:80] for d in self.deliveries]}")
            return matching()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
