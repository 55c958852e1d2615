"""CORS for browsers calling the API from the origins MAILSENTINEL_CORS_ORIGINS lists.

The outermost layer, so every answer to an allowed origin carries the headers, errors
included (a browser hides an answer without them, and the SDK could not read a 401 or 429).
An allowed preflight (OPTIONS with Access-Control-Request-Method) is answered here, before
authentication, as browsers send no token with it. A preflight from any other origin goes on
to the API and gets its ordinary answer (405 in the envelope) without CORS headers, which the
browser treats as a refusal. Tokens travel in `Authorization`, never in cookies, so
credentials are not allowed and `*` is safe to list.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
# What the SDKs and the console send; Prefer is the mock's failure switch.
ALLOWED_HEADERS = "Authorization, Content-Type, If-None-Match, X-Request-Id, Prefer"
# What a client needs to read from an answer: request ids, limits, retry hints, cache tags.
EXPOSED_HEADERS = "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, ETag"
PREFLIGHT_MAX_AGE = "600"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class Cors:
    """`origins` as `Settings.allowed_origins()` gives them: lower-case origins, or `*`."""

    def __init__(self, app: ASGIApp, origins: frozenset[str]) -> None:
        self.app = app
        self.origins = origins

    def _allowed(self, origin: str) -> bool:
        return "*" in self.origins or origin.lower() in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or not self._allowed(origin):
            await self.app(scope, receive, send)
            return
        # The allow-list decides per origin, so caches must keep answers apart by it.
        common = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            headers = [
                *common,
                (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
                (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"vary"]
                vary = [v for k, v in message.get("headers", []) if k.lower() == b"vary"]
                headers += [
                    common[0],
                    (b"vary", b", ".join([*vary, b"Origin"])),
                    (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_cors)
