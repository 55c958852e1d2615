"""Pages of list answers: `items`, `pagination`, `has_next_page()`, `next_page()`, and iteration
over every item of every page (`for x in page`, `async for x in client.<resource>.list(...)`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._errors import MailSentinelError

if TYPE_CHECKING:
    from ._base_client import AsyncAPIClient, RequestOptions, SyncAPIClient
    from .types import Pagination

T = TypeVar("T")

__all__ = ["AsyncPage", "AsyncPaginator", "SyncPage"]


class _BasePage(Generic[T]):
    items: list[T]
    pagination: Pagination

    def __init__(self, data: Mapping[str, Any], items_key: str, options: RequestOptions) -> None:
        self.items = list(data[items_key])
        self.pagination = data["pagination"]
        self.data: dict[str, Any] = dict(data)
        self._items_key = items_key
        self._options = options

    def has_next_page(self) -> bool:
        return int(self.pagination["page"]) < int(self.pagination["totalPages"])

    def _next_options(self) -> RequestOptions:
        if not self.has_next_page():
            raise MailSentinelError("This is the last page; check has_next_page() first.")
        return self._options.for_page(int(self.pagination["page"]) + 1)

    def __repr__(self) -> str:
        p = self.pagination
        return f"<{type(self).__name__} page {p['page']} of {p['totalPages']}, {len(self.items)} of {p['total']} items>"


class SyncPage(_BasePage[T]):
    """One page; iterating it walks every later page too."""

    def __init__(self, client: SyncAPIClient, data: Mapping[str, Any], items_key: str, options: RequestOptions) -> None:
        super().__init__(data, items_key, options)
        self._client = client

    def next_page(self) -> SyncPage[T]:
        """The following page. Raises MailSentinelError on the last page."""
        page: SyncPage[T] = self._client._request_page(self._next_options(), self._items_key)
        return page

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        page = self
        yield page
        while page.has_next_page():
            page = page.next_page()
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items


class AsyncPage(_BasePage[T]):
    """One page of the async client; `async for` walks every later page too."""

    def __init__(
        self, client: AsyncAPIClient, data: Mapping[str, Any], items_key: str, options: RequestOptions
    ) -> None:
        super().__init__(data, items_key, options)
        self._client = client

    async def next_page(self) -> AsyncPage[T]:
        """The following page. Raises MailSentinelError on the last page."""
        page: AsyncPage[T] = await self._client._request_page(self._next_options(), self._items_key)
        return page

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        page = self
        yield page
        while page.has_next_page():
            page = await page.next_page()
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item


class AsyncPaginator(Generic[T]):
    """What async list methods return: `await` it for the first page, or `async for` over every item."""

    def __init__(self, client: AsyncAPIClient, options: RequestOptions, items_key: str) -> None:
        self._client = client
        self._options = options
        self._items_key = items_key

    async def _first(self) -> AsyncPage[T]:
        page: AsyncPage[T] = await self._client._request_page(self._options, self._items_key)
        return page

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page = await self._first()
        async for item in page:
            yield item
