"""The one error tree: each error carries the API's code and HTTP status.

The web layer maps these to the error envelope; the CLI prints their message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorDetail:
    """One problem with one input field."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class SentinelError(Exception):
    """Base of every error the API reports in its envelope."""

    code = "INTERNAL_ERROR"
    status = 500
    default_message = "An unexpected error occurred."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details or []
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationError(SentinelError):
    code = "VALIDATION_ERROR"
    status = 400
    default_message = "The request is not valid."

    @classmethod
    def field(cls, field: str, message: str) -> ValidationError:
        """A validation error about a single field, with the message repeated in details."""
        return cls(message, details=[ErrorDetail(field, message)])


class Unauthorized(SentinelError):
    code = "UNAUTHORIZED"
    status = 401
    default_message = "A valid API token is required: send 'Authorization: Bearer <token>'."


class Forbidden(SentinelError):
    code = "FORBIDDEN"
    status = 403
    default_message = "You do not have permission to perform this action."


class NotFound(SentinelError):
    code = "NOT_FOUND"
    status = 404
    default_message = "The resource was not found."


class MethodNotAllowed(SentinelError):
    code = "METHOD_NOT_ALLOWED"
    status = 405
    default_message = "The method is not allowed for this resource."


class RequestTimeout(SentinelError):
    code = "REQUEST_TIMEOUT"
    status = 408
    default_message = "The request was not received in time."


class Conflict(SentinelError):
    code = "CONFLICT"
    status = 409
    default_message = "The request conflicts with the current state of the resource."


class PayloadTooLarge(SentinelError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    default_message = "The request body is too large."


class HeadersTooLarge(SentinelError):
    code = "REQUEST_HEADER_FIELDS_TOO_LARGE"
    status = 431
    default_message = "The request's headers are too large."


class UnsupportedMediaType(SentinelError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415
    default_message = "The request's Content-Type is not supported by this operation."


class InvalidReport(SentinelError):
    code = "INVALID_REPORT"
    status = 422
    default_message = "The file is not a readable DMARC report."


class RateLimited(SentinelError):
    code = "RATE_LIMITED"
    status = 429
    default_message = "Too many requests: slow down and retry after the time in Retry-After."


class InternalError(SentinelError):
    code = "INTERNAL_ERROR"
    status = 500


class ServiceUnavailable(SentinelError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    default_message = "The service is temporarily unavailable."


ERROR_TYPES: tuple[type[SentinelError], ...] = (
    ValidationError,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    HeadersTooLarge,
    InvalidReport,
    RateLimited,
    InternalError,
    ServiceUnavailable,
)

_BY_STATUS = {cls.status: cls for cls in ERROR_TYPES}


def error_for_status(status: int) -> type[SentinelError]:
    """The error class the API uses for an HTTP status (400 for unknown 4xx, 500 for 5xx)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ValidationError if 400 <= status < 500 else InternalError
