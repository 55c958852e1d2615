"""The success and error envelopes, ETags, and the JSON encoding every response uses."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.responses import Response

from sentinel.errors import SentinelError

JSON = "application/json"
CACHE_CONTROL = "private, no-cache"


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def envelope(data: Any, status: int = 200, *, if_none_match: str | None = None, cacheable: bool = False) -> Response:
    """`{"success": true, "data": ...}`; cacheable GETs get an ETag and honour If-None-Match."""
    body = dumps({"success": True, "data": data})
    if not cacheable:
        return Response(body, status_code=status, media_type=JSON)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def _matches(header: str, etag: str) -> bool:
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return "*" in candidates or etag in candidates


def error_payload(error: SentinelError, request_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message, "requestId": request_id}
    if error.details:
        body["details"] = [d.as_dict() for d in error.details]
    return {"success": False, "error": body}


def error_response(error: SentinelError, request_id: str, headers: dict[str, str] | None = None) -> Response:
    merged = {**error.headers, **(headers or {})}
    return Response(dumps(error_payload(error, request_id)), status_code=error.status, media_type=JSON, headers=merged)
