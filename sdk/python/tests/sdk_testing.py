"""What the SDK's tests share: the seed's tokens, the fixture reports, clients that record."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx

from mailsentinel import AsyncMailSentinel, MailSentinel

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "reports" / "aggregate"
SEED = json.loads((ROOT / "mocks" / "seed.json").read_text(encoding="utf-8"))
OWNER_TOKEN = SEED["organizations"][0]["owner"]["token"]["secret"]
VIEWER_TOKEN = SEED["organizations"][0]["members"][0]["token"]["secret"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
