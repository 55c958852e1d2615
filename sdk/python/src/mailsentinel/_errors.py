"""One exception tree: every API error code has its class under APIError.

    MailSentinelError
    ├── APIError                      an answer from the API: status, code, message, details, request_id
    │   ├── ValidationError           400 VALIDATION_ERROR
    │   ├── AuthenticationError       401 UNAUTHORIZED
    │   ├── ...                       (one class per code, see ERRORS_BY_CODE)
    │   ├── RateLimitError            429 RATE_LIMITED, with retry_after
    │   └── ServiceUnavailableError   503 SERVICE_UNAVAILABLE, with retry_after
    ├── APIConnectionError            no answer (refused, reset, DNS)
    │   └── APITimeoutError           no answer in time
    ├── NotModified                   304 to a request sent with if_none_match=
    └── WebhookVerificationError      a webhook whose signature or timestamp does not check out
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

import httpx

__all__ = [
    "ERRORS_BY_CODE",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "ConflictError",
    "InternalServerError",
    "InvalidReportError",
    "MailSentinelError",
    "MethodNotAllowedError",
    "NotFoundError",
    "NotModified",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestHeaderFieldsTooLargeError",
    "RequestTimeoutError",
    "ServiceUnavailableError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "WebhookVerificationError",
]


class MailSentinelError(Exception):
    """Base of every exception this package raises."""


class APIError(MailSentinelError):
    """The API answered with an error (the `{"success": false, "error": {...}}` envelope)."""

    status: int
    code: str
    message: str
    details: list[dict[str, Any]]
    request_id: Optional[str]
    response: httpx.Response
    body: Any

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        code: str,
        details: Optional[list[dict[str, Any]]] = None,
        request_id: Optional[str] = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = response.status_code
        self.code = code
        self.message = message
        self.details = details or []
        self.request_id = request_id
        self.response = response
        self.body = body

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    def __str__(self) -> str:
        text = f"{self.status} {self.code}: {self.message}"
        if self.details:
            text += " (" + "; ".join(f"{d.get('field')}: {d.get('message')}" for d in self.details) + ")"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text


class ValidationError(APIError):
    """400 VALIDATION_ERROR: a parameter or the body is not valid; `details` names the fields."""


class AuthenticationError(APIError):
    """401 UNAUTHORIZED: the token is missing, malformed, unknown, revoked or expired."""


class PermissionDeniedError(APIError):
    """403 FORBIDDEN: your role or the token's scopes do not allow this action."""


class NotFoundError(APIError):
    """404 NOT_FOUND: no such resource among those you can see."""


class MethodNotAllowedError(APIError):
    """405 METHOD_NOT_ALLOWED."""


class RequestTimeoutError(APIError):
    """408 REQUEST_TIMEOUT: the server did not receive the body in time (APITimeoutError is ours)."""


class ConflictError(APIError):
    """409 CONFLICT: the request clashes with the current state."""


class PayloadTooLargeError(APIError):
    """413 PAYLOAD_TOO_LARGE."""


class UnsupportedMediaTypeError(APIError):
    """415 UNSUPPORTED_MEDIA_TYPE."""


class InvalidReportError(APIError):
    """422 INVALID_REPORT: the file is not a readable DMARC aggregate report; nothing was stored."""


class RequestHeaderFieldsTooLargeError(APIError):
    """431 REQUEST_HEADER_FIELDS_TOO_LARGE."""


class _RetryAfterMixin:
    response: httpx.Response

    @property
    def retry_after(self) -> Optional[float]:
        """Seconds the server asked us to wait (Retry-After), if it said."""
        return parse_retry_after(self.response.headers)


class RateLimitError(_RetryAfterMixin, APIError):
    """429 RATE_LIMITED: the plan's limit is reached (or too much work in flight); see retry_after."""


class InternalServerError(APIError):
    """500 INTERNAL_ERROR, or another 5xx without a code of its own."""


class ServiceUnavailableError(_RetryAfterMixin, APIError):
    """503 SERVICE_UNAVAILABLE: a dependency is down or busy; nothing was changed. See retry_after."""


class APIConnectionError(MailSentinelError):
    """The request got no answer: connection refused or reset, name not resolved, ..."""

    def __init__(self, message: str = "Connection error.", *, request: Optional[httpx.Request] = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request got no answer within the timeout."""

    def __init__(self, message: str = "Request timed out.", *, request: Optional[httpx.Request] = None) -> None:
        super().__init__(message, request=request)


class NotModified(MailSentinelError):
    """304: the resource still has the ETag you sent in if_none_match; keep your cached copy."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"Not modified (ETag {response.headers.get('ETag')}).")
        self.response = response
        self.etag: Optional[str] = response.headers.get("ETag")


class WebhookVerificationError(MailSentinelError):
    """A webhook's signature, id or timestamp does not check out: do not trust its payload."""


ERRORS_BY_CODE: dict[str, type[APIError]] = {
    "VALIDATION_ERROR": ValidationError,
    "UNAUTHORIZED": AuthenticationError,
    "FORBIDDEN": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "METHOD_NOT_ALLOWED": MethodNotAllowedError,
    "REQUEST_TIMEOUT": RequestTimeoutError,
    "CONFLICT": ConflictError,
    "PAYLOAD_TOO_LARGE": PayloadTooLargeError,
    "UNSUPPORTED_MEDIA_TYPE": UnsupportedMediaTypeError,
    "INVALID_REPORT": InvalidReportError,
    "REQUEST_HEADER_FIELDS_TOO_LARGE": RequestHeaderFieldsTooLargeError,
    "RATE_LIMITED": RateLimitError,
    "INTERNAL_ERROR": InternalServerError,
    "SERVICE_UNAVAILABLE": ServiceUnavailableError,
}
# For answers without the envelope (a proxy's 502, /health's 503): the code their status means.
CODES_BY_STATUS: dict[int, str] = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_REPORT",
    429: "RATE_LIMITED",
    431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def parse_retry_after(headers: Mapping[str, str]) -> Optional[float]:
    """Retry-After in seconds (delta-seconds or an HTTP date, RFC 9110 §10.2.3), None if absent or bad."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    import email.utils
    import time

    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def error_from_response(response: httpx.Response) -> APIError:
    """The APIError subclass an error answer stands for (by its code, else by its status)."""
    body: Any = None
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = response.text or None
    error = body.get("error") if isinstance(body, dict) else None
    request_id = response.headers.get("X-Request-Id")
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code: str = error["code"]
        message = str(error.get("message") or code)
        details = error.get("details") if isinstance(error.get("details"), list) else None
        request_id = error.get("requestId") or request_id
    else:
        status = response.status_code
        code = CODES_BY_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else f"HTTP_{status}")
        message = _message_without_envelope(body, response)
        details = None
    cls = ERRORS_BY_CODE.get(code) or _class_for_status(response.status_code)
    return cls(message, response=response, code=code, details=details, request_id=request_id, body=body)


def _class_for_status(status: int) -> type[APIError]:
    code = CODES_BY_STATUS.get(status)
    if code is not None:
        return ERRORS_BY_CODE[code]
    return InternalServerError if status >= 500 else APIError


def _message_without_envelope(body: Any, response: httpx.Response) -> str:
    if isinstance(body, dict):
        database = body.get("database")
        if isinstance(database, dict) and database.get("error"):
            return str(database["error"])
        if body.get("message"):
            return str(body["message"])
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()
