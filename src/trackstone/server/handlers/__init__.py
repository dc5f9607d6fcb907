"""REST handlers, one module per resource, in one of two forms.

- A message handler, ``@message_handler async def name(message, store) -> response message``:
  the server decodes the route's request struct and encodes the returned struct itself, so
  the hot calls are served straight from ASGI messages (``trackstone.server.direct``).
- A request handler, ``async def name(request, store) -> Response``, for the few that need
  the Starlette request (path parameters, the app's state, streamed bodies).

A handler's name is the ``name`` of its row in ``trackstone.api.routes.ROUTES`` and is listed
in its module's ``__all__``; ``handler_table`` collects them. A new resource adds a module here
and its name to ``HANDLER_MODULES`` (a listed module that does not exist yet is skipped).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from trackstone.store.base import TrackingStore

__all__ = [
    "HANDLER_MODULES",
    "AnyHandler",
    "Handler",
    "MessageHandler",
    "handler_table",
    "message_handler",
]

Handler = Callable[[Request, TrackingStore], Awaitable[Response]]
M = TypeVar("M")
R = TypeVar("R", bound=msgspec.Struct)


@dataclass(frozen=True)
class MessageHandler:
    """A handler from a decoded request message to the response message (no Request)."""

    function: Callable[[Any, TrackingStore], Awaitable[msgspec.Struct]]

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def doc(self) -> str | None:
        return self.function.__doc__


def message_handler(function: Callable[[M, TrackingStore], Awaitable[R]]) -> MessageHandler:
    """Mark ``async def name(message, store) -> response message`` as a message handler."""
    return MessageHandler(function)


AnyHandler = Handler | MessageHandler

HANDLER_MODULES = (
    "experiments",
    "runs",
    "metrics",
    "artifacts",
    "registry",
    "monitoring",
    "maintenance",
    "logged_models",
    "server_info",
)


def handler_table(module_names: Iterable[str] = HANDLER_MODULES) -> dict[str, AnyHandler]:
    """Return every public handler of the handler modules, by name."""
    table: dict[str, AnyHandler] = {}
    for module_name in module_names:
        qualified = f"{__name__}.{module_name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as error:
            if error.name != qualified:
                raise  # the module exists but one of its imports is missing: a real bug
            continue
        for name in module.__all__:
            table[name] = getattr(module, name)
    return table
