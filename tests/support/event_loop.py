"""Run a coroutine to completion on a fresh event loop in its own thread.

``asyncio.run`` refuses to start when the calling thread already runs a loop, which is the
case in a pytest worker once Playwright's sync API (the browser tests) has started there.
A thread of its own gives every call a clean loop wherever the test runs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_coroutine"]

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Return what ``coroutine`` returns (or raise what it raises), run on a new loop."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    thread = threading.Thread(target=target, name="test-event-loop")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
