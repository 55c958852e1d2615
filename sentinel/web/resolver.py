"""Resolves each operationId to its handler and runs synchronous handlers through the
services' blocking-call ports: the handler pool (the `quick` port for handlers marked
`quick_read`), or, for handlers marked `slow_work`, the slow pool (admitted earlier by
web.admission.AdmitBeforeBody, from the kinds noted here)."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

from connexion.resolver import Resolver

from sentinel.web.executors import QUICK_READ, SLOW_WORK, Blocking


class BlockingResolver(Resolver):  # type: ignore[misc]
    def __init__(self, blocking: Blocking, slow: Blocking | None = None, quick: Blocking | None = None) -> None:
        super().__init__()
        self.blocking = blocking
        self.slow = slow or blocking
        self.quick = quick or blocking
        # operationId -> slow-work kind, for the admission step (web.admission.AdmitBeforeBody).
        self.kinds: dict[str, str] = {}

    def resolve_function_from_operation_id(self, operation_id: str) -> Callable[..., Any]:
        handler: Callable[..., Any] = super().resolve_function_from_operation_id(operation_id)
        kind: str | None = getattr(handler, SLOW_WORK, None)
        if asyncio.iscoroutinefunction(handler):
            # Runs on the event loop and hands its blocking steps to the pools itself;
            # still admitted as slow work of its kind.
            if kind is not None:
                self.kinds[operation_id] = kind
            return handler
        blocking, slow = (self.quick if getattr(handler, QUICK_READ, False) else self.blocking), self.slow

        if kind is None:

            @functools.wraps(handler)
            async def run(*args: Any, **kwargs: Any) -> Any:
                return await blocking(handler, *args, **kwargs)

        else:

            self.kinds[operation_id] = kind

            @functools.wraps(handler)
            async def run(*args: Any, **kwargs: Any) -> Any:
                # Already admitted, before its body was read (web.admission.AdmitBeforeBody).
                return await slow(handler, *args, **kwargs)

        # connexion inspects the handler's signature on every request; computed once here.
        run.__signature__ = inspect.signature(handler)  # type: ignore[attr-defined]
        return run
