"""`MailSentinel` and `AsyncMailSentinel`: the clients users construct."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import Optional, TypeVar, Union

import httpx

from ._base_client import DEFAULT_MAX_RETRIES
from ._resources import AsyncRawResources, AsyncResources, SyncRawResources, SyncResources
from ._types import NOT_GIVEN, NotGiven, Timeout

__all__ = ["AsyncMailSentinel", "MailSentinel"]

SyncT = TypeVar("SyncT", bound="MailSentinel")
AsyncT = TypeVar("AsyncT", bound="AsyncMailSentinel")


class MailSentinel(SyncResources):
    """The MailSentinel API, blocking.

        client = MailSentinel(api_key=os.environ["MAILSENTINEL_API_KEY"])
        domains = client.domains.list("org_123")

    `api_key` defaults to MAILSENTINEL_API_KEY, `base_url` to MAILSENTINEL_BASE_URL, else
    https://api.mailsentinel.io. `max_retries` retries of 429s, 5xx of safe requests, timeouts and
    connection errors, with exponential backoff that honours Retry-After. Raises MailSentinelError
    when there is no API key.
    """

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Optional[Mapping[str, str]] = None,
        http_client: Optional[httpx.Client] = None,
        webhook_secret: Optional[str] = None,
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            default_headers=default_headers, http_client=http_client, webhook_secret=webhook_secret,
        )

    @cached_property
    def with_raw_response(self) -> SyncRawResources:
        """The same resources, returning APIResponse (status, headers, rate limits, ETag, `parse()`)."""
        return SyncRawResources(self)

    def with_options(
        self: SyncT,
        *,
        api_key: Union[str, NotGiven] = NOT_GIVEN,
        base_url: Union[str, NotGiven] = NOT_GIVEN,
        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        default_headers: Union[Mapping[str, str], NotGiven] = NOT_GIVEN,
        webhook_secret: Union[str, NotGiven] = NOT_GIVEN,
    ) -> SyncT:
        """A copy with some options changed, sharing this client's connection pool."""
        kwargs = self._options_kwargs(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            default_headers=default_headers, webhook_secret=webhook_secret,
        )
        return type(self)(http_client=self._http, **kwargs)

    def __enter__(self: SyncT) -> SyncT:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class AsyncMailSentinel(AsyncResources):
    """The MailSentinel API for asyncio, with the same resources and options as MailSentinel.

        async with AsyncMailSentinel() as client:
            async for domain in client.domains.list("org_123"):
                ...
    """

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Optional[Mapping[str, str]] = None,
        http_client: Optional[httpx.AsyncClient] = None,
        webhook_secret: Optional[str] = None,
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            default_headers=default_headers, http_client=http_client, webhook_secret=webhook_secret,
        )

    @cached_property
    def with_raw_response(self) -> AsyncRawResources:
        """The same resources, returning APIResponse (status, headers, rate limits, ETag, `parse()`)."""
        return AsyncRawResources(self)

    def with_options(
        self: AsyncT,
        *,
        api_key: Union[str, NotGiven] = NOT_GIVEN,
        base_url: Union[str, NotGiven] = NOT_GIVEN,
        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        default_headers: Union[Mapping[str, str], NotGiven] = NOT_GIVEN,
        webhook_secret: Union[str, NotGiven] = NOT_GIVEN,
    ) -> AsyncT:
        """A copy with some options changed, sharing this client's connection pool."""
        kwargs = self._options_kwargs(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            default_headers=default_headers, webhook_secret=webhook_secret,
        )
        return type(self)(http_client=self._http, **kwargs)

    async def __aenter__(self: AsyncT) -> AsyncT:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()
