"""CPU per request of the mock in process: the ASGI app of `create_app(settings, mode="mock")`
driven directly (no HTTP, no load generator), so a change's cost shows without the noise of
a shared machine. Limits lifted as in bench_mock.py; auth, state and validation on.

Usage: .venv/bin/python bench/bench_mock_cpu.py [--requests 3000] [--profile FILE] [create list5 list50]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = json.loads((ROOT / "mocks" / "seed.json").read_text(encoding="utf-8"))
TOKEN = SEED["organizations"][0]["owner"]["token"]["secret"]
CREATE_BODY = b'{"name":"bench","scopes":["read"]}'
LOADS = {
    "create": ("POST", "/api/tokens", b"", CREATE_BODY),
    "list5": ("GET", "/api/domains", b"limit=5", b""),
    "list50": ("GET", "/api/domains", b"limit=50", b""),
}


def _scope(method: str, path: str, query: bytes, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {TOKEN}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query, "headers": headers, "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000), "state": {},
    }


async def _request(app: Any, method: str, path: str, query: bytes, body: bytes) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no disconnect while the request runs
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_scope(method, path, query, body), receive, send)
    return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def _run(args: argparse.Namespace) -> None:
    from sentinel.app import create_app
    from sentinel.settings import Settings

    app = create_app(Settings.from_env(), mode="mock")
    startup: asyncio.Queue[Any] = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    started: asyncio.Queue[Any] = asyncio.Queue()

    async def lifespan_app() -> None:
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, startup.get, started.put)

    lifespan = asyncio.create_task(lifespan_app())
    assert (await started.get())["type"] == "lifespan.startup.complete"
    # The caller's organization filled to 50 domains, as bench_mock.py does.
    _, me = await _request(app, "GET", "/api/me", b"", b"")
    org_id = json.loads(me)["data"]["memberships"][0]["organization"]["id"]
    _, page = await _request(app, "GET", "/api/domains", b"", b"")
    for i in range(max(0, 50 - json.loads(page)["data"]["pagination"]["total"])):
        body = json.dumps({"domain": f"bench{i:02d}.example.net"}).encode()
        status, _ = await _request(app, "POST", f"/api/organizations/{org_id}/domains", b"", body)
        assert status == 201, status
    for name in args.loads:
        load = LOADS[name]
        for _ in range(200):  # warm-up
            status, _ = await _request(app, *load)
        assert status in (200, 201), (name, status)
        gc.collect()
        gc.freeze()
        profile = cProfile.Profile() if args.profile else None
        cpu = time.process_time()
        if profile:
            profile.enable()
        for _ in range(args.requests):
            await _request(app, *load)
        if profile:
            profile.disable()
            profile.dump_stats(f"{args.profile}.{name}")
        used = time.process_time() - cpu
        print(f"{name:<7} {1e6 * used / args.requests:7.0f} us CPU per request ({args.requests} requests"
              f"{', profiled' if profile else ''})", flush=True)
    lifespan.cancel()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("loads", nargs="*", help=f"any of {', '.join(LOADS)} (default: all)")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", help="write cProfile stats to FILE.<load> (the figures then include its overhead)")
    args = parser.parse_args()
    args.loads = args.loads or list(LOADS)
    if unknown := set(args.loads) - set(LOADS):
        parser.error(f"unknown loads: {', '.join(sorted(unknown))}")
    os.environ.update(MAILSENTINEL_LOG_LEVEL="warning", MAILSENTINEL_RATE_LIMITS="pro=1000000000/0")
    sys.path.insert(0, str(ROOT))
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
