"""Bearer-token authentication, wired by the spec's `x-bearerInfoFunc`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connexion.lifecycle import ConnexionRequest
from connexion.security import BearerSecurityHandler
from connexion.utils import inspect_function_arguments

from sentinel.accounts.principal import Principal
from sentinel.web.context import services_from_scope
from sentinel.web.ratelimit import RequestLimits

if TYPE_CHECKING:
    from sentinel.app import Services


async def bearer_info(token: str, request: ConnexionRequest) -> dict[str, Any]:
    """Authenticate the bearer secret; raises Unauthorized (401) or RateLimited (429).

    A cached principal is answered on the event loop where that costs microseconds
    (`services.inline_auth`: SQLite, whose generation read never waits for a writer in WAL
    mode, and a limiter counting in memory), saving a thread hop per request. Everything
    else runs through the services' blocking-call port: a worker thread, so a slow database
    or Redis never stalls the loop.
    """
    services = services_from_scope(request.scope)
    if services.inline_auth and (cached := _cached_within_limits(services, token, request.scope)) is not None:
        return {"sub": cached.user_id, "principal": cached}
    principal = await services.blocking(_authenticate_within_limits, services, token, request.scope)
    return {"sub": principal.user_id, "principal": principal}


def _cached_within_limits(services: Services, token: str, scope: Any) -> Principal | None:
    """The cached principal, charged to its organization; None when it must be looked up."""
    limits = RequestLimits(scope)
    limits.require_authentication_allowed()
    principal = services.tokens.cached(token)
    if principal is not None:
        limits.charge(principal.organization_id, principal.plan)
    return principal


def _authenticate_within_limits(services: Services, token: str, scope: Any) -> Principal:
    """Authenticate and charge the organization; raises Unauthorized or RateLimited.

    A failed authentication is counted by the error handler, which sees every 401
    (connexion answers a missing or non-bearer header itself, without calling us).
    """
    limits = RequestLimits(scope)
    limits.require_authentication_allowed()
    principal = services.tokens.authenticate(token)
    limits.charge(principal.organization_id, principal.plan)
    return principal


@functools.cache
def _arguments(func: Callable[..., Any]) -> tuple[list[str], bool]:
    arguments, has_kwargs = inspect_function_arguments(func)
    return list(arguments), bool(has_kwargs)


class BearerOnce(BearerSecurityHandler):  # type: ignore[misc]
    """connexion's bearer handler, inspecting the bearer function's signature once rather
    than twice per request (`_accepts_kwarg`)."""

    @staticmethod
    def _accepts_kwarg(func: Callable[..., Any], keyword: str) -> bool:
        arguments, has_kwargs = _arguments(func)
        return has_kwargs or keyword in arguments


# AsyncApp(security_map=...): the handler for `type: http, scheme: bearer`.
SECURITY_MAP = {"bearer": BearerOnce}
