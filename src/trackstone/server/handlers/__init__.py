"""REST handlers, one module per resource; each is ``async def name(request, store) -> Response``.

A handler's name is the ``name`` of its row in ``trackstone.api.routes.ROUTES`` and is listed
in its module's ``__all__``; ``handler_table`` collects them. A new resource adds a module here
and its name to ``HANDLER_MODULES`` (a listed module that does not exist yet is skipped).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable

from starlette.requests import Request
from starlette.responses import Response

from trackstone.store.base import TrackingStore

__all__ = ["HANDLER_MODULES", "Handler", "handler_table"]

Handler = Callable[[Request, TrackingStore], Awaitable[Response]]

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


def handler_table(module_names: Iterable[str] = HANDLER_MODULES) -> dict[str, Handler]:
    """Return every public handler of the handler modules, by name."""
    table: dict[str, Handler] = {}
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
