"""Maps every error, the framework's own included, to the API's error envelope."""

from __future__ import annotations

import logging
import re
from typing import Any

from connexion import FlaskApp
from connexion.apps.asynchronous import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from sentinel.errors import (
    ErrorDetail,
    InternalError,
    MethodNotAllowed,
    NotFound,
    SentinelError,
    Unauthorized,
    ValidationError,
    error_for_status,
)
from sentinel.web.context import request_id
from sentinel.web.ratelimit import after_failed_authentication
from sentinel.web.responses import JSON, dumps, error_payload

log = logging.getLogger("sentinel.web")

_FIELD = re.compile(r"parameters? '([^']+)'|^'([^']+)' is a required property|- '([^']+)'$")


class AllowedMethods:
    """Which methods each spec path accepts, for a truthful `Allow` header on 405."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._routes: list[tuple[re.Pattern[str], str]] = []
        for path, item in spec.get("paths", {}).items():
            methods = sorted(
                m.upper() for m in item if m in {"get", "put", "post", "delete", "patch", "head", "options"}
            )
            if "GET" in methods and "HEAD" not in methods:
                methods.append("HEAD")
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
            self._routes.append((re.compile(f"^{pattern}/?$"), ", ".join(sorted(methods))))

    def for_path(self, path: str) -> str | None:
        for pattern, methods in self._routes:
            if pattern.match(path):
                return methods
        return None


def _field_of(detail: str) -> str | None:
    match = _FIELD.search(detail)
    if not match:
        return None
    return next(group for group in match.groups() if group)


def translate(exc: Exception, allowed: AllowedMethods | None = None, path: str = "") -> SentinelError:
    """The SentinelError equivalent of anything raised while handling a request."""
    if isinstance(exc, SentinelError):
        return exc
    if isinstance(exc, UnicodeDecodeError):
        return ValidationError("The request body is not valid UTF-8.")
    if isinstance(exc, MultiPartException):
        # A multipart body without a boundary, or cut short: the client's fault, not ours.
        return ValidationError(f"The multipart/form-data body is malformed: {exc.message}")
    if isinstance(exc, ProblemException):
        # jsonschema appends the whole failing schema after a blank line; keep the sentence.
        detail = str(exc.detail or exc.title or "").split("\n\n", 1)[0].strip()
        if exc.status == 401:
            return Unauthorized() if "No authorization" in detail or not detail else Unauthorized(detail)
        cls = error_for_status(exc.status)
        if cls is ValidationError:
            field = _field_of(detail)
            message = detail or "The request is not valid."
            if field and detail.startswith(("'' is too short", "'' should be non-empty")):
                message = f"'{field}' must not be empty."
            elif field and " is not a 'date-time'" in detail:
                message = (
                    f"'{field}' must be an RFC 3339 date-time such as 2031-01-01T00:00:00Z, "
                    "within years 0001 to 9999 once in UTC."
                )
            elif field and " does not match " in detail:
                # The sentence names the field; the detail keeps the pattern for developers.
                return ValidationError(
                    f"'{field}' does not have the expected format.", details=[ErrorDetail(field, detail)]
                )
            return ValidationError(message, details=[ErrorDetail(field, message)] if field else None)
        return cls(detail or None)
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return NotFound(f"No such endpoint: {path}" if path else None)
        if exc.status_code == 405:
            methods = allowed.for_path(path) if allowed else None
            headers = {"Allow": methods} if methods else {}
            return MethodNotAllowed(f"This endpoint allows {methods}." if methods else None, headers=headers)
        return error_for_status(exc.status_code)(str(exc.detail) if exc.detail else None)
    return InternalError()


def install(app: AsyncApp | FlaskApp, allowed: AllowedMethods) -> None:
    """Register the envelope handlers; connexion's ProblemException handler must be overridden too."""

    async def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        error = translate(exc, allowed, request.url.path)
        if isinstance(error, Unauthorized):
            # Every 401 is a failed authentication, counted per client address.
            error = await after_failed_authentication(request.scope, error)
        rid = request_id(request.scope)
        if isinstance(error, InternalError) and not isinstance(exc, SentinelError):
            log.error("unhandled error (request %s)", rid, exc_info=exc)
        return ConnexionResponse(
            status_code=error.status,
            mimetype=JSON,
            content_type=JSON,
            body=dumps(error_payload(error, rid)),
            headers=dict(error.headers),
        )

    for exc_type in (
        SentinelError, ProblemException, StarletteHTTPException, UnicodeDecodeError, MultiPartException, Exception
    ):
        app.add_error_handler(exc_type, handle)
