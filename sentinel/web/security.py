"""Bearer-token authentication, wired by the spec's `x-bearerInfoFunc`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connexion.lifecycle import ConnexionRequest

from sentinel.accounts.principal import Principal
from sentinel.web.context import services_from_scope
from sentinel.web.ratelimit import RequestLimits

if TYPE_CHECKING:
    from sentinel.app import Services


async def bearer_info(token: str, request: ConnexionRequest) -> dict[str, Any]:
    """Authenticate the bearer secret; raises Unauthorized (401) or RateLimited (429).

    The look-up runs through the services' blocking-call port: a worker thread, so a slow
    database never stalls the loop (inline in mock mode, whose database is in memory).
    """
    services = services_from_scope(request.scope)
    principal = await services.blocking(_authenticate_within_limits, services, token, request.scope)
    return {"sub": principal.user_id, "principal": principal}


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
