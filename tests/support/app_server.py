"""One real uvicorn server on 127.0.0.1 in a thread, serving many server apps under prefixes.

Starting uvicorn per test costs more than the test; instead one server runs per session and
each test mounts its own app (a fresh store) under ``/apps/<n>``, so a client whose base URL
is ``server.url_for(mount)`` talks to that app only. The apps see the path without the prefix.

Example:
    with AppServer.start() as server, server.mounted(create_app(settings, store)) as url:
        store = RestStore(url)
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["AppServer"]

HOST = "127.0.0.1"
_PREFIX = "/apps/"
_START_TIMEOUT_S = 30.0
_POLL_S = 0.01


class _Dispatcher:
    """Route ``/apps/<n>/rest`` to the app mounted as ``n`` (with path ``/rest``); else 404."""

    def __init__(self) -> None:
        self.apps: dict[str, ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path: str = scope["path"]
        name, _, rest = path.removeprefix(_PREFIX).partition("/")
        app = self.apps.get(name) if path.startswith(_PREFIX) else None
        if app is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such app"})
            return
        inner: dict[str, Any] = dict(scope)
        inner["path"] = "/" + rest
        inner["raw_path"] = ("/" + rest).encode()
        await app(inner, receive, send)


class AppServer:
    """A uvicorn server in a daemon thread; ``mounted(app)`` serves an app under a new prefix."""

    def __init__(self) -> None:
        self._dispatcher = _Dispatcher()
        self._names = itertools.count()
        self._socket = socket.socket()
        self._socket.bind((HOST, 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self._dispatcher, log_level="warning", lifespan="on", loop="asyncio", http="h11"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @classmethod
    @contextmanager
    def start(cls) -> Iterator[AppServer]:
        """Run a server until the block ends."""
        server = cls()
        server._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server._server.started and server._thread.is_alive():
            if time.monotonic() > deadline:
                break
            time.sleep(_POLL_S)  # uvicorn's readiness cannot come from an injected clock
        if not server._server.started:
            server._server.should_exit = True
            raise RuntimeError("uvicorn did not start")
        try:
            yield server
        finally:
            server._server.should_exit = True
            server._thread.join(timeout=10)
            server._socket.close()

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://{HOST}:{self.port}"

    @contextmanager
    def mounted(self, app: ASGIApp) -> Iterator[str]:
        """Serve ``app`` under a fresh prefix while the block runs; yield its base URL."""
        name = str(next(self._names))
        self._dispatcher.apps[name] = app
        try:
            yield f"{self.url}{_PREFIX}{name}"
        finally:
            del self._dispatcher.apps[name]
