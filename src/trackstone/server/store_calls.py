"""Run a store call on the event loop when it cannot block, else in a worker thread.

A worker-thread hop costs two thread wake-ups per request: ~50 µs on an idle machine, but
milliseconds on a busy one (the OS must schedule the worker, then the loop again), which is
more than a small call's whole SQL. A store that can promise not to wait (``SqlStore`` on a
SQLite file: a connection with no busy timeout, see ``Database.no_wait``) runs small calls
right on the loop; if the call would have waited for a lock held elsewhere it fails at once,
having changed nothing, and runs again in a worker thread, where waiting is fine. Every other
store (PostgreSQL: network round trips) always goes to a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from trackstone.errors import ServiceUnavailable

__all__ = ["call_store"]

P = ParamSpec("P")
T = TypeVar("T")


async def call_store(
    store: Any, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Return ``function(*args, **kwargs)``: on the loop if ``store`` can skip waits, else not.

    Only for calls whose work is small (one run's rows, not a search or a 1,000-point batch):
    on the loop, nothing else is served while they run.
    """
    no_wait: Callable[[], AbstractContextManager[None] | None] | None = getattr(
        store, "no_wait", None
    )
    block = no_wait() if no_wait is not None else None
    if block is not None:
        try:
            with block:
                return function(*args, **kwargs)
        except ServiceUnavailable:
            pass  # a lock held elsewhere (or the no-wait connection busy): wait in a thread
    return await run_in_threadpool(function, *args, **kwargs)
