"""Background WAL checkpoints of a SQLite file, so that a committing request never runs one.

SQLite copies the write-ahead log back into the database (a checkpoint, with a disk flush)
inside whichever commit takes the log past ``wal_autocheckpoint`` pages: that request waits
for it. A server starts a ``WalCheckpointer`` instead, which checkpoints from its own thread
and connection every ``interval_s`` (PASSIVE: it never blocks readers or writers), and raises
its connections' threshold to ``FALLBACK_AUTOCHECKPOINT_PAGES``, where a commit still
checkpoints if this thread ever falls that far behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

__all__ = ["FALLBACK_AUTOCHECKPOINT_PAGES", "WalCheckpointer"]

logger = logging.getLogger(__name__)

# 64 MiB of 4 KiB pages: the log never grows past this even if the thread stalls.
FALLBACK_AUTOCHECKPOINT_PAGES = 16_384
_JOIN_TIMEOUT_S = 5.0


class WalCheckpointer:
    """Checkpoints ``path``'s write-ahead log every ``interval_s`` until stopped.

    Example:
        >>> checkpointer = WalCheckpointer("trackstone-data/trackstone.db", interval_s=0.5)
        >>> checkpointer.start()
        >>> checkpointer.stop()
    """

    def __init__(self, path: str, interval_s: float) -> None:
        self._path = path
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None
        self._warned = False

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="trackstone-wal-checkpoint", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close its connection; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(_JOIN_TIMEOUT_S)
            self._thread = None

    def checkpoint(self) -> tuple[int, int]:
        """Checkpoint now; return the log's frames and how many of them are in the database.

        Raises:
            sqlite3.Error: the database cannot be opened or checkpointed.
        """
        if self._connection is None:
            # Never waits for a lock: a busy database is simply tried again next time.
            self._connection = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=0
            )
        _busy, log_frames, checkpointed = self._connection.execute(
            "PRAGMA wal_checkpoint(PASSIVE)"
        ).fetchone()
        return int(log_frames), int(checkpointed)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval_s):
                try:
                    self.checkpoint()
                except sqlite3.Error as error:
                    if not self._warned:  # commits still checkpoint past the fallback size
                        logger.warning("background WAL checkpoint failed: %s", error)
                        self._warned = True
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
