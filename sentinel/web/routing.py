"""Exact path matching: no redirect to the path with (or without) a trailing slash.

Starlette's routers answer `/api/me/` with a 307 to `/api/me`, built from the Host
header and outside the envelope. Every router connexion assembles gets
`redirect_slashes` switched off, so such a path is an ordinary unknown path: a 404
envelope with the rate-limit headers, like any other.
"""

from __future__ import annotations

from typing import Any

from connexion import AsyncApp
from starlette.routing import Mount, Router


def without_slash_redirects(app: AsyncApp) -> None:
    """Build connexion's middleware stack now and switch off every router's slash redirect.

    Must run after the last add_api / add_middleware / add_error_handler call.
    """
    middleware = app.middleware
    # What connexion would do on the first request; done here to reach the routers it creates.
    middleware.app, middleware.middleware_stack = middleware._build_middleware_stack()
    for layer in middleware.middleware_stack:
        _exact(getattr(layer, "router", None))


def _exact(router: Any) -> None:
    if not isinstance(router, Router):
        return
    router.redirect_slashes = False
    for route in router.routes:
        if isinstance(route, Mount):
            _exact(route.app)
