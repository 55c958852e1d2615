"""A real uvicorn server on a loopback port, running in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from sentinel.settings import Settings
from sentinel.web.server import uvicorn_config


class LiveServer:
    """Serve an ASGI app on 127.0.0.1:<free port> until stopped, configured as `mailsentinel serve`.

    `settings` supplies the HTTP limits (header size, count and deadline); defaults otherwise.
    """

    def __init__(self, app: Any, settings: Settings | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn_config(app, settings or Settings(), log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60  # only against hanging forever
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
