"""What `client.with_raw_response.<resource>.<method>(...)` returns: the answer and its parsed value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, Optional, TypeVar

import httpx

from ._errors import NotModified

T = TypeVar("T")

__all__ = ["APIResponse", "RateLimit"]


@dataclass(frozen=True)
class RateLimit:
    """The X-RateLimit-* headers: the window nearest exhaustion (reset in Unix seconds)."""

    limit: int
    remaining: int
    reset: int


class APIResponse(Generic[T]):
    """An API answer before parsing: status, headers (rate limits, request id, ETag) and `parse()`."""

    def __init__(
        self, http_response: httpx.Response, parser: Callable[[httpx.Response], T], retries_taken: int
    ) -> None:
        self.http_response = http_response
        self._parser = parser
        self.retries_taken = retries_taken

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> Optional[str]:
        value: Optional[str] = self.http_response.headers.get("X-Request-Id")
        return value

    @property
    def etag(self) -> Optional[str]:
        """Send it back as `if_none_match=` to get NotModified while the resource is unchanged."""
        value: Optional[str] = self.http_response.headers.get("ETag")
        return value

    @property
    def not_modified(self) -> bool:
        return self.http_response.status_code == 304

    @property
    def rate_limit(self) -> Optional[RateLimit]:
        h = self.http_response.headers
        try:
            return RateLimit(int(h["X-RateLimit-Limit"]), int(h["X-RateLimit-Remaining"]), int(h["X-RateLimit-Reset"]))
        except (KeyError, ValueError):
            return None

    def json(self) -> Any:
        return self.http_response.json()

    def parse(self) -> T:
        """The value the plain method returns. Raises NotModified for a 304."""
        if self.not_modified:
            raise NotModified(self.http_response)
        return self._parser(self.http_response)

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<APIResponse {request.method} {request.url.path} {self.status_code}>"
