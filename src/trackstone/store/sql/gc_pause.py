"""Pause Python's cyclic garbage collector while a read builds many small objects.

A search page or a metric history allocates tens of thousands of tuples, strings and entity
objects in a burst. Each allocation counts towards the collector's thresholds, so the burst
triggers collections that walk every young object again, and now and then the whole heap:
measured at a fifth to a third of a large read. Nothing in that burst is a reference cycle
worth collecting, so the collector waits until it is over.

Overlapping pauses (threads of a server) share one pause; the last to leave restores the
collector as it was. Overlapping pauses could otherwise keep it off for as long as reads keep
coming, so a pause entered while the shared one is older than ``MAX_PAUSE_S`` first runs a
full collection and starts the clock again.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["MAX_PAUSE_S", "paused_gc"]

MAX_PAUSE_S = 1.0

_lock = threading.Lock()
_depth = 0
_restore = False  # whether the collector was enabled when the shared pause began
_since = 0.0


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off (reference counting still frees).

    Example:
        >>> with paused_gc():
        ...     rows = [(i, str(i)) for i in range(3)]
    """
    global _depth, _restore, _since
    with _lock:
        now = time.monotonic()
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
            _since = now
        elif _restore and now - _since > MAX_PAUSE_S:
            gc.collect()
            _since = now
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
