"""The outermost ASGI layer: request ids, body-size limits and a last-resort error envelope.

It wraps the whole connexion app, so it sees every response, including the
framework's own errors, and can add headers to all of them.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentinel.errors import InternalError, PayloadTooLarge, SentinelError
from sentinel.web.context import EXTRA_HEADERS_KEY, REQUEST_ID_KEY, SERVICES_KEY
from sentinel.web.responses import error_response

log = logging.getLogger("sentinel.web")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
JSON_BODY_LIMIT = 1024 * 1024


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


class SentinelMiddleware:
    def __init__(self, app: ASGIApp, services: Any, max_body_bytes: int) -> None:
        self.app = app
        self.services = services
        self.max_body_bytes = max_body_bytes

    def _limit(self, scope: Scope) -> int:
        content_type = (_header(scope, b"content-type") or "").lower()
        if "json" in content_type:
            return min(JSON_BODY_LIMIT, self.max_body_bytes)
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client_id = _header(scope, b"x-request-id")
        request_id = client_id if client_id and _SANE_REQUEST_ID.match(client_id) else new_request_id()
        scope[REQUEST_ID_KEY] = request_id
        scope[SERVICES_KEY] = self.services
        # Created here because connexion hands inner layers shallow copies of the scope:
        # they must all add to this same dict for the headers to reach the response.
        scope.setdefault(EXTRA_HEADERS_KEY, {})
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                for name, value in scope.get(EXTRA_HEADERS_KEY, {}).items():
                    headers.append((name.lower().encode("latin-1"), str(value).encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        limit = self._limit(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._respond(scope, receive, send_with_headers, PayloadTooLarge(_too_large(limit)))
            return

        if declared is None and scope["method"] in {"POST", "PUT", "PATCH"}:
            # connexion reads a body only when Content-Length says there is one, so a
            # chunked body is gathered here (within the limit) and given its length.
            try:
                receive = await _buffered(scope, receive, limit)
            except PayloadTooLarge as exc:
                await self._respond(scope, receive, send_with_headers, exc)
                return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(_too_large(limit))
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except Exception as exc:
            if started:
                log.exception("error after the response started (request %s)", request_id)
                raise
            if isinstance(exc, SentinelError):
                error: SentinelError = exc
            else:
                log.exception("unhandled error (request %s)", request_id)
                error = InternalError()
            await self._respond(scope, receive, send_with_headers, error)

    async def _respond(self, scope: Scope, receive: Receive, send: Send, error: SentinelError) -> None:
        response = error_response(error, scope[REQUEST_ID_KEY])
        await response(scope, receive, send)


async def _buffered(scope: Scope, receive: Receive, limit: int) -> Receive:
    """Read the whole body (raising PayloadTooLarge past `limit`), set Content-Length, replay it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(_too_large(limit))
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    headers = [
        (k, v) for k, v in scope.get("headers", []) if k.lower() not in {b"content-length", b"transfer-encoding"}
    ]
    headers.append((b"content-length", str(size).encode("latin-1")))
    scope["headers"] = headers
    replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def replay_receive() -> Message:
        return replay.pop() if replay else await receive()

    return replay_receive


def _too_large(limit: int) -> str:
    return f"The request body is larger than the {limit:,} bytes this endpoint accepts."
