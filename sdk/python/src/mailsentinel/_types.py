"""Small types shared by the client, the generated resources and the pages."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, Optional, Union

import httpx

__all__ = ["NOT_GIVEN", "Headers", "NotGiven", "Query", "Timeout"]


class NotGiven:
    """Marks an argument the caller left out (unlike `None`, which is sent as JSON null)."""

    _instance: Optional[NotGiven] = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()

Timeout = Union[float, httpx.Timeout, None]
Headers = Mapping[str, str]
Query = Mapping[str, Any]


def wire_value(value: Any) -> Any:
    """A Python value as JSON or a query string carries it: RFC 3339 instants in UTC, ISO days."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; pass an aware datetime (e.g. tzinfo=timezone.utc).")
        text = value.astimezone(_dt.timezone.utc).isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [wire_value(v) for v in value]
    return value


def query_value(value: Any) -> Any:
    """As wire_value, with booleans spelled as the API's query parameters expect them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return wire_value(value)


def given(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the caller passed, converted for the wire (NOT_GIVEN ones dropped)."""
    return {k: wire_value(v) for k, v in fields.items() if not isinstance(v, NotGiven)}


def given_query(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters the caller passed (None and NOT_GIVEN dropped)."""
    return {k: query_value(v) for k, v in fields.items() if v is not None and not isinstance(v, NotGiven)}
