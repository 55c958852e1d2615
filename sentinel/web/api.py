"""What handlers use: the composed services, the caller, and envelope builders."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from sentinel.accounts.principal import Principal
from sentinel.errors import ValidationError
from sentinel.pagination import PageRequest
from sentinel.web import context
from sentinel.web.executors import quick_read as quick_read  # and bounded reads with this
from sentinel.web.executors import slow_work as slow_work  # handlers mark slow operations with it
from sentinel.web.responses import envelope

if TYPE_CHECKING:
    from sentinel.app import Services


def services() -> Services:
    return context.services()


def caller() -> Principal:
    return context.principal()


def pages(page: int = 1, limit: int = 50) -> PageRequest:
    return PageRequest(page=page, limit=limit)


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day(name: str, value: str | None) -> date | None:
    """A `from`/`to` query value as a date; raises ValidationError naming the parameter."""
    if value is None:
        return None
    try:
        # RFC 3339 full-date only (the spec's `format: date`): fromisoformat alone also takes
        # 20240601 and 2024-W01-1.
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError.field(name, f"'{name}' must be a day written YYYY-MM-DD, not '{value[:40]}'.") from None


def ok(data: Any) -> Response:
    return envelope(data)


def created(data: Any) -> Response:
    return envelope(data, status=201)


def accepted(data: Any) -> Response:
    return envelope(data, status=202)


def cached(data: Any) -> Response:
    """A GET answer with an ETag; 304 when the client's If-None-Match still matches."""
    return envelope(data, if_none_match=context.header("if-none-match"), cacheable=True)
