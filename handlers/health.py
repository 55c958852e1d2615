"""GET /health: liveness plus database reachability, outside the envelope.

Asynchronous on purpose: it takes no thread from the handler pool and its ping has a
thread and a connection of its own (sentinel.web.health), so it answers while every
worker is busy.
"""

from __future__ import annotations

import json

from starlette.responses import Response

from sentinel.clock import isoformat
from sentinel.web.api import services


async def get_health() -> Response:
    svc = services()
    body: dict[str, object] = {"status": "ok", "timestamp": isoformat(svc.clock.now()), "version": svc.version}
    reachable, body["database"] = await svc.health.database()
    if not reachable:
        body["status"] = "degraded"
    return Response(json.dumps(body), status_code=200 if reachable else 503, media_type="application/json")
