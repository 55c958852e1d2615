"""`Prefer` request headers of the mock, in the style Prism users know (RFC 7240 syntax).

- `Prefer: code=429` answers with that operation's documented 429 response and its example
  (with `Retry-After` and the `X-RateLimit-*` headers); any documented code works, an
  undocumented one is a VALIDATION_ERROR naming the documented codes.
- `Prefer: example=NAME` picks a named example (`examples:` in the spec; a lone `example:`
  is called `default`) of the success response, or of the `code=` response when both are given.
- `Prefer: delay=MS` waits that long (at most MAX_DELAY_MS) before answering.

Preferences are separated by commas (`Prefer: code=404, example=default`); others such as
`return=minimal` are ignored, as RFC 7240 §2 asks. Authentication still comes first: only
`code=401` answers before the token is checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sentinel.errors import ValidationError, error_for_status
from sentinel.web.context import EXTRA_HEADERS_KEY, REQUEST_ID_KEY, add_response_headers
from sentinel.web.responses import CACHE_CONTROL, JSON, dumps, error_payload

MAX_DELAY_MS = 10_000
PREFERENCE_KEY = "mailsentinel.mock.prefer"
_ROUTING = "connexion_routing"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True)
class Preference:
    code: int | None = None
    example: str | None = None
    delay_ms: int = 0

    @property
    def simulates(self) -> bool:
        return self.code is not None or self.example is not None


def _invalid(message: str) -> ValidationError:
    return ValidationError.field("Prefer", message)


def parse_prefer(values: list[str]) -> Preference:
    """The mock's preferences among `Prefer` header values. Raises ValidationError for bad values."""
    found: dict[str, str] = {}
    for value in values:
        for item in value.split(","):
            name, sep, raw = item.split(";", 1)[0].strip().partition("=")
            name = name.strip().lower()
            if sep and name in {"code", "example", "delay"}:
                found[name] = raw.strip().strip('"')
    code = delay = None
    if "code" in found:
        text = found["code"]
        if not (text.isdigit() and len(text) == 3 and 100 <= int(text) <= 599):
            raise _invalid(f"Prefer: code={text[:20]} is not an HTTP status code.")
        code = int(text)
    if "delay" in found:
        text = found["delay"]
        if not text.isdigit() or int(text) > MAX_DELAY_MS:
            raise _invalid(f"Prefer: delay={text[:20]} must be whole milliseconds from 0 to {MAX_DELAY_MS}.")
        delay = int(text)
    example = found.get("example") or None
    return Preference(code=code, example=example, delay_ms=delay or 0)


class SpecIndex:
    """Operations of a spec by the operation id connexion routes to, with local $refs resolved."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.operations: dict[str, dict[str, Any]] = {}
        for item in spec.get("paths", {}).values():
            for method in _METHODS:
                operation = item.get(method)
                if not operation or "operationId" not in operation:
                    continue
                op_id = operation["operationId"]
                self.operations[op_id] = operation
                controller = operation.get("x-openapi-router-controller")
                if controller:
                    self.operations[f"{controller}.{op_id}"] = operation

    def resolve(self, node: Any) -> Any:
        """Follow `#/...` references until a plain object; raises KeyError on a dangling one."""
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def responses(self, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {code: self.resolve(r) for code, r in operation.get("responses", {}).items()}

    def examples(self, response: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """(has JSON content, examples by name); a lone `example` is named `default`."""
        media = response.get("content", {}).get(JSON)
        if media is None:
            return False, {}
        if "examples" in media:
            return True, {name: self.resolve(ex).get("value") for name, ex in media["examples"].items()}
        if "example" in media:
            return True, {"default": media["example"]}
        return True, {}


def operation_of(scope: Scope) -> str | None:
    routing = scope.get("extensions", {}).get(_ROUTING, {})
    op_id = routing.get("operation_id")
    return str(op_id) if op_id else None


def _header_values(scope: Scope, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]


class PreferMiddleware:
    """Two steps of one feature: `stage="routed"` runs after routing and before security,
    `stage="authenticated"` after security. Requests without `Prefer` pass straight through.
    """

    def __init__(self, app: ASGIApp, *, stage: str, index: SpecIndex) -> None:
        self.app = app
        self.stage = stage
        self.index = index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.stage == "routed":
            await self._routed(scope, receive, send)
        else:
            await self._authenticated(scope, receive, send)

    async def _routed(self, scope: Scope, receive: Receive, send: Send) -> None:
        values = _header_values(scope, b"prefer")
        op_id = operation_of(scope) if values else None
        if op_id is None or op_id not in self.index.operations:
            await self.app(scope, receive, send)
            return
        preference = parse_prefer(values)
        if preference.delay_ms:
            await asyncio.sleep(preference.delay_ms / 1000)
        if preference.code == 401:
            # The one simulation that must not wait for a valid token.
            await self._simulate(scope, receive, send, op_id, preference)
            return
        # connexion hands inner layers copies of the scope; the extensions dict is shared.
        scope.setdefault("extensions", {})[PREFERENCE_KEY] = preference
        await self.app(scope, receive, send)

    async def _authenticated(self, scope: Scope, receive: Receive, send: Send) -> None:
        preference = scope.get("extensions", {}).get(PREFERENCE_KEY)
        op_id = operation_of(scope)
        if not isinstance(preference, Preference) or not preference.simulates or op_id is None:
            await self.app(scope, receive, send)
            return
        await self._simulate(scope, receive, send, op_id, preference)

    async def _simulate(self, scope: Scope, receive: Receive, send: Send, op_id: str, pref: Preference) -> None:
        response = self.response_for(scope, op_id, pref)
        await response(scope, receive, send)

    def response_for(self, scope: Scope, op_id: str, pref: Preference) -> Response:
        """The documented response the preference asks for. Raises ValidationError."""
        operation = self.index.operations[op_id]
        responses = self.index.responses(operation)
        name = operation["operationId"]
        if pref.code is not None:
            code = str(pref.code)
            if code not in responses:
                documented = ", ".join(sorted(c for c in responses if c.isdigit()))
                raise _invalid(
                    f"Prefer: code={code} is not documented for {name}; its documented codes are {documented}."
                )
        else:
            code = min(c for c in responses if c.startswith("2"))
        has_body, examples = self.index.examples(responses[code])
        if pref.example is not None and pref.example not in examples:
            names = ", ".join(examples) or "none"
            raise _invalid(f"Prefer: example={pref.example[:60]} is not an example of {name} {code}; it has {names}.")
        body = examples.get(pref.example or "", next(iter(examples.values()), None))
        status = int(code)
        request_id = str(scope.get(REQUEST_ID_KEY, "req_unknown"))
        if body is None and has_body and status >= 400:
            body = error_payload(error_for_status(status)(), request_id)
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            # The example's request ID would contradict the X-Request-Id header.
            body = {**body, "error": {**body["error"], "requestId": request_id}}
        headers = _headers(scope, responses[code], status)
        if body is None or status == 304:
            return Response(status_code=status, headers=headers)
        payload = dumps(body)
        if "ETag" in responses[code].get("headers", {}):
            headers["ETag"] = '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'
            headers["Cache-Control"] = CACHE_CONTROL
        return Response(payload, status_code=status, media_type=JSON, headers=headers)


def _headers(scope: Scope, response: dict[str, Any], status: int) -> dict[str, str]:
    """Retry-After for a simulated 429 (with the limiter's real window shown as used up) or 503."""
    headers: dict[str, str] = {}
    if status == 429:
        # Rate-limit windows run on wall-clock time, whatever the mock's clock shows.
        now = int(time.time())
        current = scope.get(EXTRA_HEADERS_KEY) or {}
        limit = current.get("X-RateLimit-Limit", "60")
        reset = int(current.get("X-RateLimit-Reset", now - now % 60 + 60))
        add_response_headers(
            scope, {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
        )
        if "Retry-After" in response.get("headers", {}):
            headers["Retry-After"] = str(max(reset - now, 1))
    elif "Retry-After" in response.get("headers", {}):
        # A simulated 503: as the server's own busy answers, retry in a couple of seconds.
        headers["Retry-After"] = "2"
    return headers
