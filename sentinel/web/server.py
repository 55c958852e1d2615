"""The one uvicorn configuration: `mailsentinel serve`, `mailsentinel mock` and the tests' live server."""

from __future__ import annotations

from typing import Any

import uvicorn

from sentinel.settings import Settings
from sentinel.web.protocol import guarded_protocol


def uvicorn_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """uvicorn's Config for `app`: bounded request heads (see protocol.py), no proxy headers.

    The client address is the peer's: only the app decides whom to believe
    (MAILSENTINEL_TRUSTED_PROXIES). `overrides` are for tests (log level, lifespan).
    """
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "access_log": settings.access_log,
        "proxy_headers": False,
        "server_header": False,
        "http": guarded_protocol(settings.max_header_bytes, settings.max_headers, settings.header_timeout),
        **overrides,
    }
    return uvicorn.Config(app, **options)
