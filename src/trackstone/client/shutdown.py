"""The interpreter-exit hook: end what the fluent API left open, then close every client.

Registered once, lazily (when the first run starts or the first spooled write happens), so
that importing Trackstone registers nothing. Callbacks run first (the fluent API ends its
active runs there), then every live client is closed, which ships its spool.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Protocol

__all__ = ["at_interpreter_exit", "close_at_exit"]

logger = logging.getLogger(__name__)


class Closable(Protocol):
    """Anything with a ``close()`` that ships pending work."""

    def close(self) -> None: ...


_lock = threading.Lock()
_registered = False
_callbacks: list[Callable[[], None]] = []
_closables: weakref.WeakSet[Closable] = weakref.WeakSet()


def _register() -> None:
    global _registered
    with _lock:
        if not _registered:
            atexit.register(_on_exit)
            _registered = True


def close_at_exit(closable: Closable) -> None:
    """Close ``closable`` at interpreter exit unless it is garbage-collected before."""
    _closables.add(closable)
    _register()


def at_interpreter_exit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once at interpreter exit, before the clients are closed."""
    with _lock:
        if callback not in _callbacks:
            _callbacks.append(callback)
    _register()


def _on_exit() -> None:
    for callback in list(_callbacks):
        try:
            callback()
        except Exception:
            logger.exception("an exit callback failed")
    for closable in list(_closables):
        try:
            closable.close()
        except Exception:
            logger.exception("closing %r at exit failed", closable)
