"""Resolves each operationId to its handler and runs synchronous handlers through the
services' blocking-call port (a thread pool by default, inline in mock mode)."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

from connexion.resolver import Resolver

from sentinel.web.executors import Blocking


class BlockingResolver(Resolver):  # type: ignore[misc]
    def __init__(self, blocking: Blocking) -> None:
        super().__init__()
        self.blocking = blocking

    def resolve_function_from_operation_id(self, operation_id: str) -> Callable[..., Any]:
        handler: Callable[..., Any] = super().resolve_function_from_operation_id(operation_id)
        if asyncio.iscoroutinefunction(handler):
            return handler
        blocking = self.blocking

        @functools.wraps(handler)
        async def run(*args: Any, **kwargs: Any) -> Any:
            return await blocking(handler, *args, **kwargs)

        # connexion inspects the handler's signature on every request; computed once here.
        run.__signature__ = inspect.signature(handler)  # type: ignore[attr-defined]
        return run
