"""REST handlers, one module per resource; each is ``async def name(request, store) -> Response``.

A handler's name is the ``name`` of its row in ``trackstone.api.routes.ROUTES``; the server
finds it with ``find_handler``. A new resource adds a module here and to ``HANDLER_MODULES``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from types import ModuleType

from starlette.requests import Request
from starlette.responses import Response

from trackstone.store.base import TrackingStore

__all__ = ["HANDLER_MODULES", "Handler", "find_handler"]

logger = logging.getLogger(__name__)

Handler = Callable[[Request, TrackingStore], Awaitable[Response]]

HANDLER_MODULES = ("experiments", "runs", "metrics", "artifacts", "registry")


def _loaded_modules() -> list[ModuleType]:
    modules = []
    for name in HANDLER_MODULES:
        qualified = f"{__name__}.{name}"
        try:
            modules.append(importlib.import_module(qualified))
        except ModuleNotFoundError as error:
            if error.name != qualified:
                raise  # the module exists but one of its imports is missing: a real bug
            logger.debug("no handler module %s yet", qualified)
    return modules


def find_handler(name: str, modules: list[ModuleType] | None = None) -> Handler | None:
    """Return the handler called ``name`` from the handler modules, or None if none has it."""
    for module in _loaded_modules() if modules is None else modules:
        handler = getattr(module, name, None)
        if handler is not None and name in getattr(module, "__all__", ()):
            return handler  # type: ignore[no-any-return]
    return None
