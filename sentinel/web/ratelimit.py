"""The web side of rate limiting: charge the request, write the headers, refuse with 429.

The limiter decides; this module only carries its decisions into the response:
``X-RateLimit-*`` on every /api response (through the outer middleware's extra
headers) and ``Retry-After`` on a refusal. Three places call it: the bearer-security
step (organization limits, and refusing an address that used up its failed
authentications before its token is even looked up), the error handler (every 401
counts as a failed authentication), and ``RateLimitHeaders``, which gives the few
responses no step has seen (unknown paths, 405, 413) the caller's address window.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentinel.errors import RateLimited, SentinelError, Unauthorized
from sentinel.ratelimit import Decision, Limiter, client_address, parse_proxies
from sentinel.ratelimit.addresses import Network
from sentinel.web.context import SERVICES_KEY, add_response_headers

LIMIT_HEADER = "X-RateLimit-Limit"
_LIMIT_HEADER_KEY = LIMIT_HEADER.lower().encode("latin-1")


def headers_for(decision: Decision) -> dict[str, str]:
    window = decision.window
    return {
        LIMIT_HEADER: str(window.limit),
        "X-RateLimit-Remaining": str(window.remaining),
        "X-RateLimit-Reset": str(window.reset_seconds()),
    }


def _header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
    # Several X-Forwarded-For lines mean the same as one joined with commas (RFC 9110 §5.3).
    return ", ".join(values) if values else None


def address_of(scope: Scope, proxies: tuple[Network, ...]) -> str:
    client = scope.get("client")
    peer = str(client[0]) if client else None
    return client_address(peer, _header(scope, b"x-forwarded-for"), proxies)


def apply(scope: Scope, decision: Decision, message: str | None = None) -> None:
    """Record the decision's headers for the response; raises RateLimited when it refused."""
    add_response_headers(scope, headers_for(decision))
    if not decision.allowed:
        raise RateLimited(message, headers={"Retry-After": str(decision.retry_after or 1)})


class RequestLimits:
    """The limits one request is subject to; methods run in the thread pool (the store may be Redis)."""

    def __init__(self, scope: Scope) -> None:
        services = scope[SERVICES_KEY]
        self.scope = scope
        self.limiter: Limiter = services.limiter
        self.address = address_of(scope, parse_proxies(services.settings.trusted_proxies))

    def require_authentication_allowed(self) -> None:
        """Raises RateLimited when this address has used up its failed authentications.

        Checked before the token is looked up, so guesses from the address get no answer at all.
        """
        decision = self.limiter.authentication_window(self.address)
        if not decision.allowed:
            apply(scope=self.scope, decision=decision, message=_TOO_MANY_FAILURES)

    def charge(self, organization_id: str, plan: str) -> None:
        """Count the request against the organization; raises RateLimited over the plan's limits."""
        apply(self.scope, self.limiter.admit(organization_id, plan))

    def authentication_failed(self, error: Unauthorized) -> SentinelError:
        """Count a failed authentication; the 401 becomes a 429 once the address is out of attempts."""
        decision = self.limiter.authentication_failed(self.address)
        try:
            apply(self.scope, decision, _TOO_MANY_FAILURES)
        except RateLimited as refused:
            return refused
        return error


_TOO_MANY_FAILURES = "Too many failed authentications from this address: retry after the time in Retry-After."


async def after_failed_authentication(scope: Scope, error: Unauthorized) -> SentinelError:
    """The error to answer a failed authentication with (the 401, or a 429), headers recorded."""
    if SERVICES_KEY not in scope:
        return error
    limits = RequestLimits(scope)
    return await run_in_threadpool(limits.authentication_failed, error)


class RateLimitHeaders:
    """Outermost ASGI step: an /api response nobody charged gets the address's failed-authentication window."""

    def __init__(self, app: ASGIApp, limiter: Limiter, trusted_proxies: tuple[str, ...]) -> None:
        self.app = app
        self.limiter = limiter
        # Parsed here so a bad setting stops the server at start-up rather than at a request.
        self.proxies = parse_proxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == "/api" or path.startswith("/api/")):
            await self.app(scope, receive, send)
            return

        async def send_with_window(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                if not any(key.lower() == _LIMIT_HEADER_KEY for key, _ in headers):
                    address = address_of(scope, self.proxies)
                    decision = await run_in_threadpool(self.limiter.authentication_window, address)
                    for name, value in headers_for(decision).items():
                        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_window)
