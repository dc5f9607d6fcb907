"""Logging that never blocks training: append records to a spool, ship them in the background.

A logging call encodes its records, copies them into the run's memory-mapped spool file and
returns (a few microseconds); from then on the records survive a killed process. One daemon
thread per ``DurableLogger`` ships them through the store (see ``sender.py``); records that a
killed process left behind are adopted at the next start (same tracking URI) or by
``trackstone sync``. A run's spool is retired at ``end_run``, at ``close`` and once it holds
``ROTATE_SPOOL_BYTES`` (the run's next records start a fresh one); a retired spool is deleted
once shipped, so the spool folder holds little more than what is not stored yet.

The sender thread::

      start: adopt orphaned spools of this tracking URI
        │
        ▼                  IDLE: wait flush_interval_s (a flush, close or backlog wakes it)
    ┌─► SHIPPING ──────────┤ MORE: a spool had more than a round's worth, ship again at once
    │   (ship_once)        │ RETRY: store unavailable, wait 0.1 s .. 5 s (doubling; a flush or
    └──────────────────────┘        close wakes it, a backlog does not)
        │ close(): spools retired, flush(flush_timeout_s), thread stopped
        ▼
    STOPPED: drained spools deleted; the others unlocked, left for the next start or sync
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from trackstone.client.sender import Backoff, RecordSink, Round, Sender
from trackstone.client.spool import (
    DeleteTagRecord,
    EndRunRecord,
    MetricRecord,
    ParamRecord,
    Record,
    SpoolFile,
    TagRecord,
    encode_frame,
    find_orphans,
)
from trackstone.clock import Clock, SystemClock
from trackstone.config import Settings
from trackstone.entities import Metric, Param, RunStatus, RunTag
from trackstone.errors import InvalidState
from trackstone.store.base import BulkMetricStore
from trackstone.store.sql.ingest_process import ingest_process_for

__all__ = ["DurableLogger", "PointLogger"]

# ``log_point(key, value, timestamp, step) -> spooled``: see ``DurableLogger.point_logger``.
PointLogger = Callable[[Any, Any, Any, Any], bool]

logger = logging.getLogger(__name__)

# Wake the sender early once this many records wait, so that batches stay near full size
# (``log_batch`` takes 1000 records; a store with bulk ingestion is best fed in bigger rounds,
# each of which has a fixed cost: a transaction, an ack file).
_WAKE_AFTER_RECORDS = 1000
_WAKE_AFTER_RECORDS_BULK = 20_000
# How long close() waits for a sender stuck inside a store call, after the flush timeout.
_JOIN_TIMEOUT_S = 2.0
# A run's spool is retired once it holds this much, and the run's next records start a fresh
# one; the old one is deleted as soon as it is shipped. Without it a long run's spool would grow
# for as long as the run (at 1,000 points a second, about 4 GB a day) though all is stored.
ROTATE_SPOOL_BYTES = 64 * 1024 * 1024


class DurableLogger:
    """Spools metrics, params, tags and run ends, and ships them to ``store`` in the background.

    Thread-safe: training code may log from several threads. Nothing is validated here; the
    entities passed in are valid by construction.

    Args:
        store: where records end up (``SqlStore``, ``RestStore``...).
        settings: ``spool_dir``, ``tracking_uri``, ``flush_interval_s`` and ``flush_timeout_s``
            are used.
        clock: stamps spool headers.
        fsync: also ``fdatasync`` each append, so records survive a machine crash too (costs
            a disk flush per logging call).

    Example:
        >>> logger = DurableLogger(store, settings)
        >>> logger.log_batch(run_id, metrics=[Metric("loss", 0.25, timestamp_ms, step=3)])
        >>> logger.end_run(run_id, RunStatus.FINISHED, end_time_ms)
        >>> logger.close()
    """

    def __init__(
        self,
        store: RecordSink,
        settings: Settings,
        clock: Clock = SystemClock(),  # noqa: B008 - stateless
        *,
        fsync: bool = False,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._fsync = fsync
        self._lock = threading.Lock()
        self._writers: dict[str, SpoolFile] = {}
        self._spool_created_ms: dict[str, int] = {}  # of each run's newest spool
        self._closed = False
        self._left_behind: set[str] = set()
        self._unsignalled = 0
        self._backing_off = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Big runs of points go to a helper process on SQLite (see ``ingest_process``): the
        # training loop then keeps the GIL.
        self._ingest = ingest_process_for(store, enabled=settings.ingest_process)
        self._sender = Sender(store, bulk=self._ingest)
        # A store with bulk ingestion gets the records in memory too (no reading back).
        self._bulk = isinstance(store, BulkMetricStore)
        self._wake_after = _WAKE_AFTER_RECORDS_BULK if self._bulk else _WAKE_AFTER_RECORDS
        self._adopt_orphans()
        self._thread = threading.Thread(target=self._run, name="trackstone-sender", daemon=True)
        self._thread.start()

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Spool metrics, params and tags for ``run_id`` and return at once.

        Raises:
            OSError: the spool cannot be written (disk full, folder not writable); nothing
                of this call was logged.
            InvalidState: the logger is closed.
        """
        records: list[Record] = [
            MetricRecord(metric.key, metric.value, metric.timestamp, metric.step)
            for metric in metrics
        ]
        records.extend(ParamRecord(param.key, param.value) for param in params)
        records.extend(TagRecord(tag.key, tag.value) for tag in tags)
        if records:
            self._append(run_id, records)

    def point_logger(self, run_id: str, now_ms: Callable[[], int]) -> PointLogger:
        """Return ``log_point(key, value, timestamp, step)``, which spools one point of ``run_id``.

        It is the hot path of training loops, which keep it for their run: no entity is
        built, and the look-ups are done once. A call spools the point and returns True when
        the fields make a valid point as they are (``Metric.plain``, after ``timestamp`` None
        became ``now_ms()`` and ``step`` None became 0); otherwise it does nothing and returns
        False, and the caller logs the point the general way (a ``Metric``, ``log_batch``).

        Raises (from a call):
            OSError: the spool cannot be written; the point was not logged.
            InvalidState: the logger is closed.
        """
        lock, plain = self._lock, Metric.plain
        spool: SpoolFile | None = None  # the run's spool, kept until it is retired or released

        def log_point(key: Any, value: Any, timestamp: Any, step: Any) -> bool:
            nonlocal spool
            if timestamp is None:
                timestamp = now_ms()
            if step is None:
                step = 0
            if not plain(key, value, timestamp, step):
                return False
            with lock:
                if spool is None or not spool.writable:
                    spool = self._writer(run_id)
                spool.append_point(key, value, timestamp, step)
                self._unsignalled += 1
                if self._unsignalled >= self._wake_after:
                    self._signal()
            return True

        return log_point

    def delete_tag(self, run_id: str, key: str) -> None:
        """Spool the removal of a tag; the store sees it after every earlier record of the run."""
        self._append(run_id, [DeleteTagRecord(key)])

    def end_run(self, run_id: str, status: RunStatus, end_time: int) -> None:
        """Spool the run's terminal status durably, then wait (flush) until the run is stored.

        If the flush times out the records stay spooled and are shipped later.
        """
        record = EndRunRecord(RunStatus.parse(status).value, end_time)
        self._append(run_id, [record], retire=True)
        self.flush(run_id)

    def is_drained(self, run_id: str | None = None) -> bool:
        """Whether every record logged so far (of ``run_id``, or of all runs) is stored."""
        return self._sender.is_drained(run_id)

    def flush(self, run_id: str | None = None, timeout_s: float | None = None) -> bool:
        """Wait until the records of ``run_id`` (or of every run) are acknowledged by the store.

        Args:
            run_id: the run to wait for; None waits for all.
            timeout_s: how long to wait; None means ``settings.flush_timeout_s``.

        Returns:
            True when drained; False on timeout (the records stay spooled for later).
        """
        with self._lock:
            if self._closed and not self._thread.is_alive():
                return not self._left_behind if run_id is None else run_id not in self._left_behind
        if self._sender.is_drained(run_id):
            return True
        self._wake.set()
        timeout = self._settings.flush_timeout_s if timeout_s is None else timeout_s
        return self._sender.wait_drained(run_id, timeout)

    def close(self) -> None:
        """Flush for up to ``settings.flush_timeout_s``, stop the sender and release the spools.

        Records not stored by then stay in the spool folder: the next start of a logger on
        the same tracking URI, or ``trackstone sync``, ships them. Calling it again is a no-op.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for spool in self._writers.values():
                spool.retire()
            self._writers.clear()
        self.flush(None, self._settings.flush_timeout_s)
        self._stop.set()
        self._wake.set()
        self._thread.join(_JOIN_TIMEOUT_S)
        if self._ingest is not None:
            self._ingest.close()
        if self._thread.is_alive():
            logger.warning("the spool sender is stuck in a store call; leaving its spools as is")
            return
        pending = {spool.run_id for spool in self._sender.spools() if not spool.drained}
        with self._lock:
            self._left_behind = pending
        self._sender.release()
        if pending:
            logger.warning(
                "records of %d run(s) are not stored yet; they stay in %s for the next start "
                "or `trackstone sync`",
                len(pending),
                self._settings.spool_dir,
            )

    def _append(self, run_id: str, records: list[Record], retire: bool = False) -> None:
        frame = encode_frame(records)
        with self._lock:
            spool = self._writer(run_id)
            spool.append(frame, records)
            if retire:
                # Later records of this run go to a fresh spool; this one is deleted once shipped.
                self._writers.pop(run_id).retire()
            self._unsignalled += len(records)
            if self._unsignalled >= self._wake_after:
                self._signal()

    def _writer(self, run_id: str) -> SpoolFile:
        """Return the spool ``run_id``'s records go to, opened if need be (the caller holds
        the lock).

        Raises:
            InvalidState: the logger is closed.
        """
        spool = self._writers.get(run_id)
        if spool is None or self._closed:
            spool = self._open_spool(run_id)
        return spool

    def _open_spool(self, run_id: str) -> SpoolFile:
        """Create the spool ``run_id``'s records go to now (the caller holds the lock)."""
        if self._closed:
            raise InvalidState("the durable logger is closed")
        # Spools left behind are shipped in the order of their creation times: a run's next
        # spool must come later even if the clock stood still or went back.
        created_ms = max(self._clock.now_ms(), self._spool_created_ms.get(run_id, -1) + 1)
        self._spool_created_ms[run_id] = created_ms
        spool = SpoolFile.create(
            self._settings.spool_dir,
            self._settings.tracking_uri,
            run_id,
            created_ms,
            fsync=self._fsync,
            handoff=self._bulk,
            lock=self._lock,
        )
        self._writers[run_id] = spool
        self._sender.add(spool)
        return spool

    def _signal(self) -> None:
        """Wake the sender for the records waiting, and retire the spools that grew past
        ``ROTATE_SPOOL_BYTES`` (the caller holds the lock)."""
        self._unsignalled = 0
        full = [run for run, spool in self._writers.items() if spool.size >= ROTATE_SPOOL_BYTES]
        for run_id in full:
            self._writers.pop(run_id).retire(keep_handoff=False)
        if not self._backing_off:
            self._wake.set()

    def _adopt_orphans(self) -> None:
        try:
            orphans = find_orphans(self._settings.spool_dir, self._settings.tracking_uri)
        except OSError as error:
            logger.warning("cannot scan the spool folder for leftovers: %s", error)
            return
        for orphan in orphans:
            self._sender.add(orphan)
        if orphans:
            logger.info("shipping %d spool(s) left behind by earlier processes", len(orphans))

    def _run(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                outcome = self._sender.ship_once()
            except Exception:
                logger.exception("the spool sender failed; it will retry")
                outcome = Round.RETRY
            self._backing_off = outcome is Round.RETRY
            if outcome is Round.RETRY:
                self._wake.wait(backoff.next_delay_s())
            else:
                backoff.reset()
                if outcome is Round.IDLE:
                    self._wake.wait(self._settings.flush_interval_s)
            self._wake.clear()
