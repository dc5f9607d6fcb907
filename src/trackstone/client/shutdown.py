"""The interpreter-exit hook: end what the fluent API left open, then close every client.

Registered once, lazily (when the first run starts or the first spooled write happens), so
that importing Trackstone registers nothing. Callbacks run first (the fluent API ends its
active runs there), then every live client is closed, which ships its spool.

A ``multiprocessing`` child leaves through ``os._exit`` and skips ``atexit``; the same hook is
registered as a multiprocessing finalizer in forked children (``after_fork_in_child``), so
what a worker process logged is shipped when it ends.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Protocol

__all__ = ["after_fork_in_child", "at_interpreter_exit", "close_at_exit"]

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


class _Token:
    """A weak-referenceable key for ``multiprocessing.util.register_after_fork``."""


_FORK_TOKEN = _Token()


def _finalize_in_worker(_token: _Token) -> None:
    util = sys.modules["multiprocessing.util"]
    util.Finalize(None, _on_exit, exitpriority=100)


def after_fork_in_child() -> None:
    """Make a forked child run the exit hook too, even when it ends through ``os._exit``."""
    global _lock
    _lock = threading.Lock()  # another thread of the parent may have held it
    util = sys.modules.get("multiprocessing.util")
    if util is not None and _registered:
        # A multiprocessing worker clears its finalizers right after the fork, then runs the
        # after-fork callbacks, and runs finalizers (not atexit) before os._exit: register the
        # finalizer from such a callback.
        util.register_after_fork(_FORK_TOKEN, _finalize_in_worker)
