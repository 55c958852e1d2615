"""Page/limit pagination with totals, in one query whatever the page size."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from sentinel.errors import ValidationError

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
MAX_PAGE = 100_000


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    limit: int = DEFAULT_LIMIT

    def __post_init__(self) -> None:
        if not 1 <= self.page <= MAX_PAGE:
            raise ValidationError.field("page", f"page must be between 1 and {MAX_PAGE}.")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError.field("limit", f"limit must be between 1 and {MAX_LIMIT}.")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def page_meta(page: PageRequest, total: int) -> dict[str, int]:
    """The `pagination` object of every list response."""
    return {
        "page": page.page,
        "limit": page.limit,
        "total": total,
        "totalPages": (total + page.limit - 1) // page.limit,
    }


_WINDOWED: WeakKeyDictionary[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]] = WeakKeyDictionary()
_WINDOWED_LOCK = threading.Lock()


def _windowed(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """`stmt` with the total as a window count and bound limit/offset, built once per statement
    (statements kept at module level are then compiled once and reused)."""
    with _WINDOWED_LOCK:
        found = _WINDOWED.get(stmt)
        if found is None:
            found = (
                stmt.add_columns(func.count().over().label("_total"))
                .limit(bindparam("_limit"))
                .offset(bindparam("_offset"))
            )
            _WINDOWED[stmt] = found
        return found


def paginate(
    executor: Session | Connection,
    stmt: Select[*tuple[Any, ...]],
    page: PageRequest,
    params: Mapping[str, Any] | None = None,
) -> tuple[list[tuple[Any, ...]], int]:
    """Rows of one page of `stmt` (already ordered; `params` fill its bound parameters) and
    the total row count.

    The total rides along as a window count, so a page costs one query; only a page past
    the end needs a second one to learn the total.
    """
    values = dict(params or {})
    rows = executor.execute(_windowed(stmt), {**values, "_limit": page.limit, "_offset": page.offset}).all()
    if rows:
        return [tuple(row)[:-1] for row in rows], int(rows[0][-1])
    if page.page == 1:
        return [], 0
    total = executor.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()), values) or 0
    return [], int(total)
