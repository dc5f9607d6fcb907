"""The active-run stack of the fluent API: per thread, with a shared fallback.

Each thread has its own stack of active runs (the innermost nested run on top). A thread whose
own stack is empty sees the *shared* stack: the stack of the thread that started the oldest
still-active top-level run (normally the main thread). So worker threads (data loaders,
framework callbacks, thread pools) log to the run their parent started, and a worker may start
runs of its own (nested under the shared run or not) without disturbing other threads::

    own stack empty ──start_run──▶ own stack [r1]  (becomes the shared stack if none is)
    own stack [r1]  ──start_run(nested=True)──▶ [r1, r2]
    [r1, r2]        ──end_run──▶ [r1] ──end_run──▶ []  (no longer shared)

``active`` (and therefore ``end_run``, ``log_*``) acts on the top of the *effective* stack:
the thread's own stack if it is not empty, else the shared one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Literal

from trackstone.entities import Run, RunStatus

__all__ = ["ActiveRun", "RunStack", "status_for_exception"]


def status_for_exception(error: BaseException | None) -> RunStatus:
    """Return how a run ends when its block exits with ``error`` (None for a normal exit).

    Example:
        >>> status_for_exception(KeyboardInterrupt()).value
        'KILLED'
    """
    if error is None:
        return RunStatus.FINISHED
    if isinstance(error, KeyboardInterrupt):
        return RunStatus.KILLED
    return RunStatus.FAILED


class ActiveRun(Run):
    """A run started by ``start_run``: a ``Run`` snapshot that ends the run when its block exits.

    Example:
        >>> with trackstone.start_run() as run:  # doctest: +SKIP
        ...     print(run.info.run_id)
    """

    _end: Callable[[ActiveRun, RunStatus], None]
    _pid: int

    def __init__(self, run: Run, end: Callable[[ActiveRun, RunStatus], None]) -> None:
        super().__init__(run.info, run.data, run.inputs)
        object.__setattr__(self, "_end", end)
        object.__setattr__(self, "_pid", os.getpid())

    @property
    def started_here(self) -> bool:
        """Whether this process started the run (a forked child only inherited it)."""
        return self._pid == os.getpid()

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        self._end(self, status_for_exception(exc))
        return False

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.info.run_id!r}>"


class RunStack:
    """Active runs of every thread, with the shared fallback described in the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Keyed by thread ident, so that the interpreter-exit hook can see every thread's runs.
        self._stacks: dict[int, list[ActiveRun]] = {}
        self._shared: list[ActiveRun] | None = None

    def _effective(self) -> list[ActiveRun]:
        own = self._stacks.get(threading.get_ident())
        if own:
            return own
        return self._shared or []

    def active(self) -> ActiveRun | None:
        """Return the innermost active run this thread sees, or None."""
        # _effective(), inlined: every fluent log_metric call asks.
        stack = self._stacks.get(threading.get_ident()) or self._shared
        return stack[-1] if stack else None

    def own_active(self) -> ActiveRun | None:
        """Return the innermost run this thread started itself, or None."""
        own = self._stacks.get(threading.get_ident())
        return own[-1] if own else None

    def push(self, run: ActiveRun) -> None:
        """Make ``run`` this thread's innermost active run."""
        with self._lock:
            own = self._stacks.setdefault(threading.get_ident(), [])
            own.append(run)
            if not self._shared:
                self._shared = own

    def remove(self, run_id: str) -> list[ActiveRun]:
        """Take ``run_id`` and every run above it off the stack holding it; return them.

        The returned runs are innermost first. Looks in this thread's stack, then the
        shared one; returns an empty list if neither holds the run.
        """
        with self._lock:
            candidates = [self._stacks.get(threading.get_ident()), self._shared]
            for stack in candidates:
                if not stack:
                    continue
                for index, active in enumerate(stack):
                    if active.info.run_id == run_id:
                        removed = stack[index:]
                        del stack[index:]
                        self._forget_empty()
                        return removed[::-1]
        return []

    def _forget_empty(self) -> None:
        for ident in [ident for ident, stack in self._stacks.items() if not stack]:
            del self._stacks[ident]
        if self._shared is not None and not self._shared:
            self._shared = next((stack for stack in self._stacks.values() if stack), None)

    def after_fork(self) -> None:
        """In a forked child: replace the lock, which a thread of the parent may have held."""
        self._lock = threading.Lock()

    def drain(self) -> list[ActiveRun]:
        """Take every active run of every thread off its stack; innermost runs come first."""
        with self._lock:
            runs = [run for stack in self._stacks.values() for run in reversed(stack)]
            self._stacks.clear()
            self._shared = None
        return runs
