"""Request bodies: read only once the caller is authenticated, within a size and a deadline.

Installed at connexion's BEFORE_VALIDATION position, i.e. after routing and the
bearer-security step (which also charges the rate limits), and before anything
reads the body. A caller without a valid token therefore gets its 401 or 429
without one body byte being read, and the outer middleware closes the connection.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentinel.errors import PayloadTooLarge, RequestTimeout
from sentinel.web.middleware import has_body, header

JSON_BODY_LIMIT = 1024 * 1024
_ROUTING = "connexion_routing"


class BodyLimits:
    """Bound every request body by size (1 MiB for JSON) and by the time it takes to arrive."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.timeout = timeout

    def _limit(self, scope: Scope) -> int:
        content_type = (header(scope, b"content-type") or "").lower()
        if "json" in content_type:
            return min(JSON_BODY_LIMIT, self.max_body_bytes)
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not has_body(scope):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(_too_large(limit))
        deadline = asyncio.get_running_loop().time() + self.timeout
        receive = _bounded(receive, limit, deadline, self.timeout)
        operation = scope.get("extensions", {}).get(_ROUTING, {}).get("operation_id")
        if declared is None and operation is not None:
            # connexion reads a body only when Content-Length says there is one, so a
            # chunked body is gathered here (within the bounds) and given its length.
            receive = await _buffered(scope, receive)
        await self.app(scope, receive, send)


def _bounded(receive: Receive, limit: int, deadline: float, timeout: float) -> Receive:
    """`receive`, raising PayloadTooLarge past `limit` bytes and RequestTimeout past `deadline`."""
    received = 0
    done = False

    async def bounded_receive() -> Message:
        nonlocal received, done
        if done:
            # Once the body is in, receive() only waits for a disconnect: no deadline then.
            return await receive()
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            raise RequestTimeout(
                f"The request body did not arrive within {timeout:g} seconds (MAILSENTINEL_BODY_TIMEOUT)."
            ) from None
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise PayloadTooLarge(_too_large(limit))
            done = not message.get("more_body", False)
        else:
            done = True
        return message

    return bounded_receive


async def _buffered(scope: Scope, receive: Receive) -> Receive:
    """Read the whole (already bounded) body, set Content-Length, and replay it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    headers = [
        (k, v) for k, v in scope.get("headers", []) if k.lower() not in {b"content-length", b"transfer-encoding"}
    ]
    headers.append((b"content-length", str(len(body)).encode("latin-1")))
    scope["headers"] = headers
    replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay_receive() -> Message:
        return replay.pop() if replay else await receive()

    return replay_receive


def _too_large(limit: int) -> str:
    return f"The request body is larger than the {limit:,} bytes this endpoint accepts."
