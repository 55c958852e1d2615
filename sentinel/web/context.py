"""Per-request access to the composed services and the authenticated caller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from connexion import context as cx

from sentinel.accounts.principal import Principal
from sentinel.errors import Unauthorized

if TYPE_CHECKING:
    from sentinel.app import Services

SERVICES_KEY = "mailsentinel.services"
REQUEST_ID_KEY = "mailsentinel.request_id"
EXTRA_HEADERS_KEY = "mailsentinel.headers"


def services_from_scope(scope: Any) -> Services:
    return cast("Services", scope[SERVICES_KEY])


def services() -> Services:
    return services_from_scope(cx.scope)


def principal() -> Principal:
    token_info = cx.context.get("token_info")
    if not token_info or "principal" not in token_info:
        raise Unauthorized()
    return cast(Principal, token_info["principal"])


def header(name: str) -> str | None:
    for key, value in cx.scope.get("headers", []):
        if key.decode("latin-1").lower() == name:
            return cast(str, value.decode("latin-1"))
    return None


def request_id(scope: Any) -> str:
    return cast(str, scope.get(REQUEST_ID_KEY, "req_unknown"))


def add_response_headers(scope: Any, headers: dict[str, str]) -> None:
    """Headers the outer middleware adds to whatever response this request gets."""
    scope.setdefault(EXTRA_HEADERS_KEY, {}).update(headers)
