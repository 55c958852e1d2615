"""connexion's AsyncApp operations, decorated once instead of on every request.

connexion 3's `AsyncOperation.fn` builds a new StarletteDecorator per request, and that
decorator wraps the handler again (signature inspection and three closures) per call, and
builds a new URI parser from the operation's parameter definitions each time: ~70 µs of
a request that is itself well under a millisecond. Everything it builds depends only on
the operation, so it is built on the first request and kept. Its parameter decorator also
turns every parameter's name into a Python one (`pythonic`: five regular expressions per
name) on every request; those names come from the spec, so each is turned once.
"""

from __future__ import annotations

import functools
import typing as t

from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import receive, scope
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import AsyncParameterDecorator, pythonic, sanitized
from connexion.operations import AbstractOperation, OpenAPIOperation

_pythonic = functools.lru_cache(maxsize=1024)(pythonic)
_sanitized = functools.lru_cache(maxsize=1024)(sanitized)


class _NamedOnceParameters(AsyncParameterDecorator):  # type: ignore[misc]
    """connexion's parameter decorator with its name conversion remembered."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.sanitize_fn = _pythonic if kwargs.get("pythonic_params") else _sanitized


class _OnceDecorator(StarletteDecorator):  # type: ignore[misc]
    """The starlette decorator whose inner decoration and URI parser are built once."""

    @property
    def _parameter_decorator_cls(self) -> type[AsyncParameterDecorator]:
        return _NamedOnceParameters

    def __call__(self, function: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        decorated: t.Callable[..., t.Any] | None = None
        parser: t.Any = None

        async def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            nonlocal decorated, parser
            if decorated is None:
                # The operation (a context variable) is this route's, the same on every call.
                parser = self.uri_parser
                decorated = self.decorate(function)
            request = self.framework.get_request(uri_parser=parser, scope=scope, receive=receive)
            return await decorated(request)

        return wrapper


class _OnceOperation(AsyncOperation):  # type: ignore[misc]
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._decorated = _OnceDecorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)(self._fn)

    @property
    def fn(self) -> t.Callable[..., t.Any]:
        return self._decorated


class _OnceApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, op: AbstractOperation) -> AsyncOperation:
        return _OnceOperation(
            op.function, jsonifier=self.jsonifier, operation_id=op.operation_id, pythonic_params=self.pythonic_params
        )


def _remembered_body_definition(self: OpenAPIOperation, content_type: str | None = None) -> dict[str, t.Any]:
    # connexion asks each operation for its body's definition six times per request, and each
    # answer is built anew from the spec (a media-type match and a copy with the definitions);
    # it depends only on the operation and the content type.
    memo: dict[str | None, dict[str, t.Any]] = self.__dict__.setdefault("_sentinel_body_definitions", {})
    found = memo.get(content_type)
    if found is None:
        found = memo[content_type] = _body_definition(self, content_type)
    return found


_body_definition = OpenAPIOperation.body_definition


def decorate_once(app: AsyncApp) -> None:
    """Make the APIs added to `app` from now on decorate their handlers once, and every
    operation's body definition built once per content type. Call before add_api."""
    app._middleware_app.api_cls = _OnceApi
    OpenAPIOperation.body_definition = _remembered_body_definition
