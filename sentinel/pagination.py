"""Page/limit pagination with totals, in one query whatever the page size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sentinel.errors import ValidationError

T = TypeVar("T")

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


def paginate(session: Session, stmt: Select[*tuple[Any, ...]], page: PageRequest) -> tuple[list[tuple[Any, ...]], int]:
    """Rows of one page of `stmt` (already ordered) and the total row count.

    The total rides along as a window count, so a page costs one query; only a page past
    the end needs a second one to learn the total.
    """
    windowed = stmt.add_columns(func.count().over().label("_total")).limit(page.limit).offset(page.offset)
    rows = session.execute(windowed).all()
    if rows:
        return [tuple(row)[:-1] for row in rows], int(rows[0][-1])
    if page.page == 1:
        return [], 0
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return [], int(total)
