"""GET /api/me."""

from __future__ import annotations

from starlette.responses import Response

from sentinel.web.api import cached, caller, services


def get_me() -> Response:
    return cached(services().organizations.me(caller()))
