"""Bearer-token authentication, wired by the spec's `x-bearerInfoFunc`."""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest
from starlette.concurrency import run_in_threadpool

from sentinel.web.context import services_from_scope


async def bearer_info(token: str, request: ConnexionRequest) -> dict[str, Any]:
    """Authenticate the bearer secret; raises Unauthorized (401) or RateLimited (429).

    The database look-up runs in the thread pool so a slow database never stalls the loop.
    """
    services = services_from_scope(request.scope)
    principal = await run_in_threadpool(services.tokens.authenticate, token)
    return {"sub": principal.user_id, "principal": principal}
