"""The HTTP core both clients share: options, request building, retries, answers to values."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Mapping
from typing import Any, Optional, TypeVar, Union
from urllib.parse import quote

import httpx

from ._errors import APIConnectionError, APITimeoutError, MailSentinelError, NotModified, error_from_response
from ._pagination import AsyncPage, SyncPage
from ._response import APIResponse
from ._retry import backoff as _backoff
from ._retry import repeatable, retry_wait, should_retry_error, should_retry_status
from ._types import NOT_GIVEN, NotGiven, Timeout
from ._version import __version__

log = logging.getLogger("mailsentinel")

DEFAULT_BASE_URL = "https://api.mailsentinel.io"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)  # scans and uploads answer when done, in seconds
DEFAULT_MAX_RETRIES = 2
API_KEY_ENV = "MAILSENTINEL_API_KEY"
BASE_URL_ENV = "MAILSENTINEL_BASE_URL"

T = TypeVar("T")
HttpClientT = TypeVar("HttpClientT", httpx.Client, httpx.AsyncClient)


@dataclasses.dataclass(frozen=True)
class RequestOptions:
    """One operation call as the generated methods describe it."""

    method: str
    path: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    json: Any = None
    content: Optional[bytes] = None
    timeout: Union[Timeout, NotGiven] = NOT_GIVEN
    # (keys) to the value under the envelope: ("data",), ("data", "domain"), () for no envelope,
    # None for an answer without a body.
    unwrap: Optional[tuple[str, ...]] = ("data",)
    # True: repeating the call is harmless whatever the method (see _retry.repeatable).
    safe: Optional[bool] = None

    def for_page(self, page: int) -> RequestOptions:
        headers = {k: v for k, v in self.headers.items() if k.lower() != "if-none-match"}
        return dataclasses.replace(self, params={**self.params, "page": page}, headers=headers)


def path_param(value: Any) -> str:
    """One path segment, percent-encoded (an ID with a '/' cannot reach another path)."""
    text = str(value)
    if not text:
        raise ValueError("A path parameter must not be empty.")
    return quote(text, safe="")


def request_headers(
    given: Mapping[str, Optional[str]], extra: Optional[Mapping[str, str]] = None
) -> dict[str, str]:
    headers = {k: v for k, v in given.items() if v is not None}
    if extra:
        headers.update(extra)
    return headers


def request_params(given: Mapping[str, Any], extra: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    params = dict(given)
    if extra:
        params.update(extra)
    return params


class BaseClient:
    """Settings shared by the sync and async clients; everything that does no I/O."""

    api_key: str
    base_url: str
    timeout: Timeout
    max_retries: int

    def __init__(
        self,
        *,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Union[Timeout, NotGiven],
        max_retries: int,
        default_headers: Optional[Mapping[str, str]],
        webhook_secret: Optional[str],
    ) -> None:
        if api_key is None:
            api_key = os.environ.get(API_KEY_ENV)
        if not api_key:
            raise MailSentinelError(
                f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable "
                "(tokens start with ms_live_; an owner or admin creates one with POST /api/tokens)."
            )
        self.api_key = api_key
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else timeout
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more.")
        self.max_retries = max_retries
        self._custom_headers = dict(default_headers or {})
        self.webhook_secret = webhook_secret

    @property
    def default_headers(self) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "User-Agent": f"mailsentinel-python/{__version__}",
            "Authorization": f"Bearer {self.api_key}",
            **self._custom_headers,
        }

    def _options_kwargs(self, **changes: Any) -> dict[str, Any]:
        """Constructor arguments of a copy with `changes` (NOT_GIVEN: keep)."""
        current: dict[str, Any] = {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self._custom_headers,
            "webhook_secret": self.webhook_secret,
        }
        current.update({k: v for k, v in changes.items() if not isinstance(v, NotGiven)})
        return current

    def _build(self, http: Union[httpx.Client, httpx.AsyncClient], options: RequestOptions) -> httpx.Request:
        timeout = self.timeout if isinstance(options.timeout, NotGiven) else options.timeout
        return http.build_request(
            options.method,
            self.base_url + options.path,
            params=options.params or None,
            headers={**self.default_headers, **options.headers},
            json=options.json,
            content=options.content,
            timeout=timeout,
        )

    @staticmethod
    def _value(response: httpx.Response, options: RequestOptions) -> Any:
        if options.unwrap is None:
            return None
        value: Any = response.json()
        for key in options.unwrap:
            value = value[key]
        return value

    def _retry_delay(self, retry: int, response: Optional[httpx.Response]) -> Optional[float]:
        if response is None:
            return _backoff(retry)
        return retry_wait(retry, response.status_code, response.headers, self._now())

    def _now(self) -> float:
        return time.time()

    @staticmethod
    def _log_retry(request: httpx.Request, retry: int, max_retries: int, wait: float, reason: str) -> None:
        log.debug(
            "Retrying %s %s in %.3f s (retry %d of %d) after %s",
            request.method, request.url.path, wait, retry + 1, max_retries, reason,
        )


def _transport_error(error: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"No answer from {request.url.host} in time ({error!r}).", request=request)
    return APIConnectionError(f"Could not reach {request.url.host}: {error!r}.", request=request)


class SyncAPIClient(BaseClient):
    """The blocking core: `_request`, `_request_page` and their raw forms, with retries."""

    def __init__(
        self,
        *,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Union[Timeout, NotGiven],
        max_retries: int,
        default_headers: Optional[Mapping[str, str]],
        http_client: Optional[httpx.Client],
        webhook_secret: Optional[str],
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            default_headers=default_headers, webhook_secret=webhook_secret,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(follow_redirects=False)

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _send(self, options: RequestOptions) -> tuple[httpx.Response, int]:
        """Send with retries; returns a 2xx or 304 answer and the retries it took. Raises APIError,
        APIConnectionError."""
        request = self._build(self._http, options)
        is_repeatable = repeatable(request.method, request.headers, options.safe)
        retry = 0
        while True:
            try:
                response = self._http.send(request)
            except httpx.TransportError as error:
                if retry < self.max_retries and should_retry_error(error, is_repeatable):
                    wait = _backoff(retry)
                    self._log_retry(request, retry, self.max_retries, wait, type(error).__name__)
                    self._sleep(wait)
                    retry += 1
                    continue
                raise _transport_error(error, request) from error
            if response.status_code < 400:
                return response, retry
            if retry < self.max_retries and should_retry_status(response.status_code, is_repeatable):
                delay = self._retry_delay(retry, response)
                if delay is not None:
                    response.close()
                    self._log_retry(request, retry, self.max_retries, delay, f"status {response.status_code}")
                    self._sleep(delay)
                    retry += 1
                    continue
            raise error_from_response(response)

    def _request(self, options: RequestOptions) -> Any:
        response, _ = self._send(options)
        if response.status_code == 304:
            raise NotModified(response)
        return self._value(response, options)

    def _request_raw(self, options: RequestOptions) -> APIResponse[Any]:
        response, retries = self._send(options)
        return APIResponse(response, lambda r: self._value(r, options), retries)

    def _request_page(self, options: RequestOptions, items_key: str) -> SyncPage[Any]:
        response, _ = self._send(options)
        if response.status_code == 304:
            raise NotModified(response)
        return SyncPage(self, self._value(response, options), items_key, options)

    def _request_page_raw(self, options: RequestOptions, items_key: str) -> APIResponse[SyncPage[Any]]:
        response, retries = self._send(options)
        return APIResponse(response, lambda r: SyncPage(self, self._value(r, options), items_key, options), retries)

    def close(self) -> None:
        """Close the connection pool (not one you passed as http_client)."""
        if self._owns_http:
            self._http.close()


class AsyncAPIClient(BaseClient):
    """The asyncio core, the same as SyncAPIClient's with awaits."""

    def __init__(
        self,
        *,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Union[Timeout, NotGiven],
        max_retries: int,
        default_headers: Optional[Mapping[str, str]],
        http_client: Optional[httpx.AsyncClient],
        webhook_secret: Optional[str],
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            default_headers=default_headers, webhook_secret=webhook_secret,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(follow_redirects=False)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _send(self, options: RequestOptions) -> tuple[httpx.Response, int]:
        request = self._build(self._http, options)
        is_repeatable = repeatable(request.method, request.headers, options.safe)
        retry = 0
        while True:
            try:
                response = await self._http.send(request)
            except httpx.TransportError as error:
                if retry < self.max_retries and should_retry_error(error, is_repeatable):
                    wait = _backoff(retry)
                    self._log_retry(request, retry, self.max_retries, wait, type(error).__name__)
                    await self._sleep(wait)
                    retry += 1
                    continue
                raise _transport_error(error, request) from error
            if response.status_code < 400:
                return response, retry
            if retry < self.max_retries and should_retry_status(response.status_code, is_repeatable):
                delay = self._retry_delay(retry, response)
                if delay is not None:
                    await response.aclose()
                    self._log_retry(request, retry, self.max_retries, delay, f"status {response.status_code}")
                    await self._sleep(delay)
                    retry += 1
                    continue
            raise error_from_response(response)

    async def _request(self, options: RequestOptions) -> Any:
        response, _ = await self._send(options)
        if response.status_code == 304:
            raise NotModified(response)
        return self._value(response, options)

    async def _request_raw(self, options: RequestOptions) -> APIResponse[Any]:
        response, retries = await self._send(options)
        return APIResponse(response, lambda r: self._value(r, options), retries)

    async def _request_page(self, options: RequestOptions, items_key: str) -> AsyncPage[Any]:
        response, _ = await self._send(options)
        if response.status_code == 304:
            raise NotModified(response)
        return AsyncPage(self, self._value(response, options), items_key, options)

    async def _request_page_raw(self, options: RequestOptions, items_key: str) -> APIResponse[AsyncPage[Any]]:
        response, retries = await self._send(options)
        return APIResponse(response, lambda r: AsyncPage(self, self._value(r, options), items_key, options), retries)

    async def close(self) -> None:
        """Close the connection pool (not one you passed as http_client)."""
        if self._owns_http:
            await self._http.aclose()


class SyncResource:
    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client


class AsyncResource:
    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client
