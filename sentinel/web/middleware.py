"""The outermost ASGI layer: request ids, extra headers and a last-resort error envelope.

It wraps the whole connexion app, so it sees every response, including the
framework's own errors, and can add headers to all of them. It never reads the
body: that happens only after the security step (see sentinel/web/body.py), and a
response sent while the body is still unread closes the connection, so the server
does not go on reading (and discarding) what an unauthenticated client sends.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentinel.errors import InternalError, SentinelError
from sentinel.web.context import EXTRA_HEADERS_KEY, REQUEST_ID_KEY, SERVICES_KEY
from sentinel.web.responses import error_response

log = logging.getLogger("sentinel.web")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_CLOSE = (b"connection", b"close")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def has_body(scope: Scope) -> bool:
    """Whether the request announces a body (a non-zero Content-Length, or chunked)."""
    declared = header(scope, b"content-length")
    if declared is not None:
        return declared.strip() not in {"", "0"}
    return header(scope, b"transfer-encoding") is not None


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


class SentinelMiddleware:
    def __init__(self, app: ASGIApp, services: Any) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client_id = header(scope, b"x-request-id")
        request_id = client_id if client_id and _SANE_REQUEST_ID.match(client_id) else new_request_id()
        scope[REQUEST_ID_KEY] = request_id
        scope[SERVICES_KEY] = self.services
        # Created here because connexion hands inner layers shallow copies of the scope:
        # they must all add to this same dict for the headers to reach the response.
        scope.setdefault(EXTRA_HEADERS_KEY, {})
        started = False
        body_done = not has_body(scope)

        async def tracking_receive() -> Message:
            nonlocal body_done
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                for name, value in scope.get(EXTRA_HEADERS_KEY, {}).items():
                    headers.append((name.lower().encode("latin-1"), str(value).encode("latin-1")))
                if not body_done and _CLOSE not in headers:
                    # The rest of the body is never read: end the connection with this answer.
                    headers.append(_CLOSE)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, tracking_receive, send_with_headers)
        except Exception as exc:
            if started:
                log.exception("error after the response started (request %s)", request_id)
                raise
            if isinstance(exc, SentinelError):
                error: SentinelError = exc
            else:
                log.exception("unhandled error (request %s)", request_id)
                error = InternalError()
            response = error_response(error, request_id)
            await response(scope, tracking_receive, send_with_headers)
