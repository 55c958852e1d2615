"""GET /health: liveness plus database reachability, outside the envelope."""

from __future__ import annotations

import json

from starlette.responses import Response

from sentinel.clock import isoformat
from sentinel.errors import ServiceUnavailable
from sentinel.web.api import services


def get_health() -> Response:
    svc = services()
    body: dict[str, object] = {"status": "ok", "timestamp": isoformat(svc.clock.now()), "version": svc.version}
    try:
        body["database"] = {"status": "ok", "latencyMs": round(svc.db.ping(), 3)}
        status = 200
    except ServiceUnavailable as exc:
        body.update(status="degraded", database={"status": "unavailable", "error": exc.message})
        status = 503
    return Response(json.dumps(body), status_code=status, media_type="application/json")
