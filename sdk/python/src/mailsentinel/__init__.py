"""The MailSentinel API for Python: `from mailsentinel import MailSentinel`."""

from __future__ import annotations

from . import types, webhooks
from ._base_client import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from ._client import AsyncMailSentinel, MailSentinel
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InternalServerError,
    InvalidReportError,
    MailSentinelError,
    MethodNotAllowedError,
    NotFoundError,
    NotModified,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RequestHeaderFieldsTooLargeError,
    RequestTimeoutError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
    ValidationError,
    WebhookVerificationError,
)
from ._pagination import AsyncPage, AsyncPaginator, SyncPage
from ._response import APIResponse, RateLimit
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APITimeoutError",
    "AsyncMailSentinel",
    "AsyncPage",
    "AsyncPaginator",
    "AuthenticationError",
    "ConflictError",
    "InternalServerError",
    "InvalidReportError",
    "MailSentinel",
    "MailSentinelError",
    "MethodNotAllowedError",
    "NotFoundError",
    "NotGiven",
    "NotModified",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RequestHeaderFieldsTooLargeError",
    "RequestTimeoutError",
    "ServiceUnavailableError",
    "SyncPage",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "WebhookVerificationError",
    "__version__",
    "types",
    "webhooks",
]
