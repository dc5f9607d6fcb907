"""The sender: ships spooled records to the store in ordered, bounded batches, then acks them.

One round (``Sender.ship_once``) walks the spools in the order they were added. For each, it
takes the records its writer handed over in memory (stores with the bulk capability; see
``SpoolFile.take_handoff``) or reads the frames after the acked offset, plans them into store
calls that keep the spool's
order — ``log_batch`` (at most 1000 records in all, of which 100 params and 100 tags; a
repeated param or tag key starts a new call), or ``log_metric_rows`` for a run of metric points
alone when the store has that bulk capability (up to 50,000 points, as plain tuples),
``delete_tag``, ``update_run_info`` for an end_run record — and after each successful call
advances the ack. A run with an unshipped spool blocks that run's later
spools in the round, so per-run order holds across spools too.

What happens to a pending call::

                       ok
      PENDING ───────────────────────► ACKED ──► (next call, or DRAINED)
        │  │  ServiceUnavailable, OSError, Unauthenticated, PermissionDenied
        │  └──────────────────────────► RETRY (round ends; the caller backs off; nothing acked)
        │  InvalidParameter / AlreadyExists
        ├─────────────────────────────► BISECT: halves re-sent, a lone bad record is
        │                               logged at ERROR and skipped (acked)
        │  NotFound / InvalidState (the run refuses everything; bisecting cannot help)
        ├─────────────────────────────► SKIPPED: logged at ERROR, acked
        │  any other exception (a bug, InternalError)
        └─────────────────────────────► logged with traceback; RETRY (20 times, about a
                                        minute of backoff), then BISECT

    DRAINED and no longer written (retired by its writer, or an adopted orphan) ──► deleted

Why re-sending never duplicates: the ack file records the offset range already stored, so
records are re-sent only when the process died between the store commit and the ack write (or a
call failed part-way through a bisection). Such a re-send is a no-op: the store ignores a metric
point identical to one it holds, a param re-logged with the same value, and a tag set to the
value it has; ``update_run_info`` with the same status and end time changes nothing. The
(run id, spool offset range) of a call is thus its idempotency key. (A ``delete_tag`` re-sent
finds the tag gone: that NotFound is logged at WARNING only.)
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from trackstone.client.spool import (
    DeleteTagRecord,
    EndRunRecord,
    Frame,
    Handoff,
    MetricRecord,
    ParamRecord,
    Record,
    SpoolFile,
    TagRecord,
)
from trackstone.entities import Metric, Param, RunStatus, RunTag
from trackstone.entities.validation import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MAX_RECORDS_PER_BATCH,
    MAX_TAGS_PER_BATCH,
)
from trackstone.errors import (
    AlreadyExists,
    InvalidParameter,
    InvalidState,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TrackstoneError,
    Unauthenticated,
)
from trackstone.store.base import BulkMetricStore, MetricPoint

__all__ = ["Backoff", "RecordSink", "Round", "Sender", "SenderStats"]

logger = logging.getLogger(__name__)

# Keep the records and try again later: the store may come back, or credentials be fixed.
_TRANSIENT_ERRORS = (ServiceUnavailable, Unauthenticated, PermissionDenied, OSError)
# The store refuses the run itself: every record of the call would fail the same way.
_RUN_ERRORS = (NotFound, InvalidState)
_RECORD_ERRORS = (InvalidParameter, AlreadyExists)
# An unexpected error (a bug, an HTTP 500 from a proxy...) is retried this often, about a minute
# with the thread's backoff, before the call is bisected to drop only the records it chokes on.
_MAX_UNEXPECTED_ATTEMPTS = 20
# Bytes of one spool shipped per round, so that a busy spool does not starve the others.
_ROUND_BUDGET_BYTES = 8 * 1024 * 1024
# Points per ``log_metric_rows`` call (stores with that capability): bigger transactions cost
# less per point; one read of the spool holds about 25,000 single-point frames anyway.
_MAX_POINTS_PER_CALL = 50_000
# Bytes of a spool read back from its file at a time.
_READ_BYTES = 1024 * 1024

_Item = Metric | Param | RunTag


class RecordSink(Protocol):
    """The store methods the sender calls (``TrackingStore`` has them)."""

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None: ...

    def delete_tag(self, run_id: str, key: str) -> None: ...

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> object: ...


class Round(enum.Enum):
    """How a shipping round ended."""

    IDLE = "idle"  # everything readable was shipped
    MORE = "more"  # a spool used up its byte budget: go again without waiting
    RETRY = "retry"  # the store is unavailable: back off, then go again


@dataclass
class SenderStats:
    """Counters of what the sender did (records, not calls)."""

    records_sent: int = 0
    records_rejected: int = 0
    transient_failures: int = 0
    spools_finished: int = 0


class Backoff:
    """Exponential delays between retries, capped, with jitter so clients do not stampede."""

    def __init__(
        self,
        initial_s: float = 0.1,
        max_s: float = 5.0,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        import random

        self._initial_s = initial_s
        self._max_s = max_s
        self._jitter = jitter or random.random
        self._failures = 0

    def next_delay_s(self) -> float:
        """Return the delay before the next attempt and lengthen the one after."""
        base = min(self._max_s, self._initial_s * 2.0**self._failures)
        self._failures += 1
        return base * (0.5 + 0.5 * self._jitter())

    def reset(self) -> None:
        """Start over from the initial delay (after a success)."""
        self._failures = 0


@dataclass(frozen=True)
class _Batch:
    metrics: list[Metric]
    params: list[Param]
    tags: list[RunTag]
    ack: int

    @property
    def items(self) -> list[_Item]:
        return [*self.metrics, *self.params, *self.tags]


@dataclass(frozen=True)
class _DeleteTag:
    key: str
    ack: int


@dataclass(frozen=True)
class _EndRun:
    status: RunStatus
    end_time: int
    ack: int


@dataclass(frozen=True)
class _Skip:
    """Records that cannot become a store call (undecodable, or invalid as entities)."""

    count: int
    reason: str
    ack: int


@dataclass(frozen=True)
class _Points:
    """Metric points only, for a store's ``log_metric_rows``."""

    points: list[MetricPoint]
    ack: int

    @property
    def items(self) -> list[_Item]:
        unchecked = Metric.unchecked
        return [unchecked(*point) for point in self.points]


_Call = _Batch | _Points | _DeleteTag | _EndRun | _Skip


class _Retry(Exception):
    """The store is unavailable for now; the round stops and nothing more is acked."""


class _Planner:
    """Turns frames into store calls in spool order; each call carries the ack it earns.

    Acks fall on frame boundaries: a call ending mid-frame earns only the frame's start. A
    ``log_batch`` call holds at most ``MAX_RECORDS_PER_BATCH`` records in all (what stores
    accept); with ``bulk_points`` a run of metric points alone may become one bigger
    ``log_metric_rows`` call.
    """

    def __init__(self, bulk_points: bool = False) -> None:
        self.calls: list[_Call] = []
        self.points: list[MetricPoint] = []
        self.params: dict[str, Param] = {}
        self.tags: dict[str, RunTag] = {}
        self.ack = 0  # what the records gathered so far earn
        self.bulk_points = bulk_points
        self.point_limit = _MAX_POINTS_PER_CALL if bulk_points else MAX_METRICS_PER_BATCH

    def emit(self, call: _Call | None = None) -> None:
        points, params, tags = self.points, self.params, self.tags
        if points and self.bulk_points and not (params or tags):
            self.calls.append(_Points(points, self.ack))
            self.points = []
        elif points or params or tags:
            unchecked = Metric.unchecked
            metrics = [unchecked(*point) for point in points]
            self.calls.append(_Batch(metrics, list(params.values()), list(tags.values()), self.ack))
            self.points = []
            params.clear()
            tags.clear()
        if call is not None:
            self.calls.append(call)

    def plan(self, frames: Sequence[Frame]) -> list[_Call]:
        points = self.points
        for frame in frames:
            records = frame.records
            # The hot case: a frame of one point, a bulk call in the making.
            if (
                len(records) == 1
                and type(records[0]) is MetricRecord
                and self.bulk_points
                and not (self.params or self.tags)
            ):
                if len(points) >= _MAX_POINTS_PER_CALL:
                    self.emit()
                    points = self.points
                point = records[0]
                points.append((point.key, point.value, point.timestamp, point.step))
                self.ack = frame.end
                continue
            if frame.error is not None:
                self.emit(_Skip(1, frame.error, frame.end))
            elif not records and not (self.points or self.params or self.tags):
                self.calls.append(_Skip(0, "", frame.end))
            last = len(records) - 1
            for index, record in enumerate(records):
                record_ack = frame.end if index == last else frame.start
                if type(record) is MetricRecord:
                    others = len(self.params) + len(self.tags)
                    limit = MAX_RECORDS_PER_BATCH - others if others else self.point_limit
                    if len(self.points) >= limit:
                        self.emit()
                    self.points.append((record.key, record.value, record.timestamp, record.step))
                else:
                    try:
                        self._add_other(record, record_ack)
                    except TrackstoneError as error:
                        self.emit(_Skip(1, f"invalid record {record!r}: {error}", record_ack))
                self.ack = record_ack
            if not records:
                self.ack = frame.end
            points = self.points
        self.emit()
        return self.calls

    def _full(self, limit: int, kind: dict[str, Param] | dict[str, RunTag], key: str) -> bool:
        """Whether a param or tag ``key`` must go to the next call."""
        total = len(self.points) + len(self.params) + len(self.tags)
        return len(kind) >= limit or key in kind or total >= MAX_RECORDS_PER_BATCH

    def _add_other(self, record: Record, record_ack: int) -> None:
        if isinstance(record, ParamRecord):
            param = Param(record.key, record.value)
            if self._full(MAX_PARAMS_PER_BATCH, self.params, param.key):
                self.emit()
            self.params[param.key] = param
        elif isinstance(record, TagRecord):
            tag = RunTag(record.key, record.value)
            if self._full(MAX_TAGS_PER_BATCH, self.tags, tag.key):
                self.emit()
            self.tags[tag.key] = tag
        elif isinstance(record, DeleteTagRecord):
            self.emit(_DeleteTag(record.key, record_ack))
        elif isinstance(record, EndRunRecord):
            status = RunStatus.parse(record.status)
            self.emit(_EndRun(status, record.end_time, record_ack))


def _plan_calls(frames: Sequence[Frame], bulk_points: bool = False) -> list[_Call]:
    """Turn frames into store calls in spool order (see ``_Planner``)."""
    return _Planner(bulk_points).plan(frames)


def _plan_handoff(handoff: Handoff) -> list[_Call]:
    """Turn handed-over records into bulk store calls in spool order.

    Runs of points become ``_Points`` calls; a call that ends inside a run of points earns
    only the run's start as its ack (where its frames end is not known).
    """
    calls: list[_Call] = []
    if not handoff.frames:
        _add_points(calls, handoff.entries, handoff.start, handoff.end)  # type: ignore[arg-type]
        return calls
    points: list[MetricPoint] = []
    run_start = handoff.start
    for entry in handoff.entries:
        if not isinstance(entry, Frame):
            points.append(entry)
            continue
        _add_points(calls, points, run_start, entry.start)
        points = []
        calls.extend(_plan_calls([entry], bulk_points=True))
        run_start = entry.end
    _add_points(calls, points, run_start, handoff.end)
    return calls


def _add_points(calls: list[_Call], points: list[MetricPoint], start: int, end: int) -> None:
    """Append ``_Points`` calls for ``points`` spanning ``[start, end)`` of the spool.

    Only the call with the last point earns ``end``; the others earn ``start``: acks fall on
    frame ends, and where a call cut inside the points ends is not known.
    """
    if len(points) <= _MAX_POINTS_PER_CALL:
        if points:
            calls.append(_Points(points, end))
        return
    for first in range(0, len(points), _MAX_POINTS_PER_CALL):
        last = first + _MAX_POINTS_PER_CALL >= len(points)
        calls.append(_Points(points[first : first + _MAX_POINTS_PER_CALL], end if last else start))


def _split(items: Sequence[_Item]) -> tuple[list[Metric], list[Param], list[RunTag]]:
    metrics = [item for item in items if isinstance(item, Metric)]
    params = [item for item in items if isinstance(item, Param)]
    tags = [item for item in items if isinstance(item, RunTag)]
    return metrics, params, tags


def _describe(items: Sequence[_Item]) -> str:
    shown = ", ".join(f"{type(item).__name__.lower()} {item.key!r}" for item in items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")


class Sender:
    """Ships the records of a set of spools to one store; thread-safe to add spools and wait.

    ``ship_once`` is meant for one thread at a time (the background sender, or ``sync``).

    Args:
        store: where records go.
        on_progress: called with the number of bytes each ack advances by.
        max_unexpected_attempts: how often a call failing with an unexpected error is tried
            before it is bisected and the records it chokes on are dropped.
        bulk: makes the store's ``log_metric_rows`` calls (default: the store, if it can).
    """

    def __init__(
        self,
        store: RecordSink,
        on_progress: Callable[[int], None] | None = None,
        max_unexpected_attempts: int = _MAX_UNEXPECTED_ATTEMPTS,
        bulk: BulkMetricStore | None = None,
    ) -> None:
        self._store = store
        # The optional bulk capability (SqlStore has it; RestStore ships log_batch calls),
        # or what stands in for it (an ``IngestProcess`` over the store).
        if bulk is None and isinstance(store, BulkMetricStore):
            bulk = store
        self._bulk = bulk
        self._on_progress = on_progress
        self._max_unexpected_attempts = max_unexpected_attempts
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._spools: list[SpoolFile] = []
        self._unexpected: dict[tuple[str, int, int], int] = {}
        self._failing = False
        self.stats = SenderStats()

    def add(self, spool: SpoolFile) -> None:
        """Start shipping ``spool`` (after every spool added before it)."""
        with self._lock:
            self._spools.append(spool)

    def spools(self) -> list[SpoolFile]:
        """Return the spools still being shipped."""
        with self._lock:
            return list(self._spools)

    def is_drained(self, run_id: str | None = None) -> bool:
        """Whether every record written so far (of ``run_id``, or of all runs) is acked."""
        with self._lock:
            return self._drained_locked(run_id)

    def _drained_locked(self, run_id: str | None) -> bool:
        return all(
            spool.drained for spool in self._spools if run_id is None or spool.run_id == run_id
        )

    def wait_drained(self, run_id: str | None, timeout_s: float) -> bool:
        """Block until ``is_drained(run_id)`` or ``timeout_s`` passes; return which."""
        with self._changed:
            return self._changed.wait_for(lambda: self._drained_locked(run_id), timeout_s)

    def ship_once(self) -> Round:
        """Ship what the spools hold now, in order; stop at the first transient failure."""
        result = Round.IDLE
        blocked_runs: set[str] = set()
        for spool in self.spools():
            if spool.run_id in blocked_runs:
                continue
            retired = not spool.writable  # read first: a retired spool gets no more frames
            try:
                exhausted = self._ship_spool(spool)
            except _Retry as retry:
                self._note_failure(retry.__cause__ or retry)
                return Round.RETRY
            if not exhausted:
                result = Round.MORE
            if retired and exhausted:
                self._finish(spool)
            elif not spool.drained:
                blocked_runs.add(spool.run_id)
        if self._failing:
            self._failing = False
            logger.info("the store is reachable again; shipping spooled records")
        return result

    def release(self) -> None:
        """Stop shipping: delete drained spools that are no longer written, unlock the rest."""
        with self._changed:
            for spool in self._spools:
                if spool.drained and not spool.writable:
                    spool.delete()
                else:
                    spool.close()
            self._spools.clear()
            self._changed.notify_all()

    def _ship_spool(self, spool: SpoolFile) -> bool:
        """Ship the spool's unacked frames (up to the round budget); True if none are left."""
        handoff = spool.take_handoff() if self._bulk is not None else None
        if handoff is None:
            return self._ship_file(spool, None)
        try:
            # Records before the handoff (it was dropped or overflowed) are only in the file.
            if spool.acked < handoff.start and not self._ship_file(spool, handoff.start):
                spool.drop_handoff()  # the file still has them; catch up first
                return False
            # Records the writer handed over in memory: the file need not be read back.
            self._ship_calls(spool, handoff.start, _plan_handoff(handoff))
        except _Retry:
            spool.drop_handoff()  # nothing is lost: the next rounds read the file
            raise
        return True

    def _ship_file(self, spool: SpoolFile, until: int | None) -> bool:
        """Ship frames read back from the file, up to ``until`` and the round budget.

        Returns True if none are left (before ``until``, when given).
        """
        budget = _ROUND_BUDGET_BYTES
        while budget > 0:
            max_bytes = _READ_BYTES if until is None else min(_READ_BYTES, until - spool.acked)
            if max_bytes <= 0:
                return True
            if self._bulk is not None:
                shipped = self._ship_points_run(spool, max_bytes)
                if shipped:
                    budget -= shipped
                    continue
            try:
                frames = spool.read_frames(spool.acked, max_bytes)
            except OSError as error:
                raise _Retry(str(error)) from error
            if not frames:
                return True
            budget -= frames[-1].end - frames[0].start
            self._ship_calls(spool, spool.acked, _plan_calls(frames, self._bulk is not None))
        return False

    def _ship_calls(self, spool: SpoolFile, start: int, calls: Sequence[_Call]) -> None:
        """Make ``calls`` (planned from ``start`` on) in order, advancing the ack after each."""
        for index, call in enumerate(calls):
            self._execute(spool, (spool.path.name, start, index), call)
            self._advance(spool, call.ack)

    def _ship_points_run(self, spool: SpoolFile, max_bytes: int) -> int:
        """Ship the next frames in bulk if they hold only metric points; return their bytes.

        0 if they hold something else (or nothing): the caller plans them frame by frame.
        """
        start = spool.acked
        try:
            run = spool.read_points_run(start, max_bytes)
        except OSError as error:
            raise _Retry(str(error)) from error
        if run is None:
            return 0
        calls: list[_Call] = []
        _add_points(
            calls, [(p.key, p.value, p.timestamp, p.step) for p in run.points], start, run.end
        )
        self._ship_calls(spool, start, calls)
        return run.end - run.start

    def _advance(self, spool: SpoolFile, offset: int) -> None:
        before = spool.acked
        try:
            spool.ack(offset)
        except OSError as error:
            raise _Retry(f"cannot write the ack of {spool.path}: {error}") from error
        if spool.acked > before:
            if self._on_progress is not None:
                self._on_progress(spool.acked - before)
            with self._changed:
                self._changed.notify_all()

    def _finish(self, spool: SpoolFile) -> None:
        trailing = spool.trailing_bytes()
        if trailing:
            logger.warning(
                "discarding %d bytes of a torn write at the end of %s (a logging call that "
                "never returned)",
                trailing,
                spool.path,
            )
        with self._changed:
            spool.delete()
            self._spools.remove(spool)
            self.stats.spools_finished += 1
            self._changed.notify_all()

    def _note_failure(self, error: BaseException) -> None:
        self.stats.transient_failures += 1
        if not self._failing:
            self._failing = True
            logger.warning("the store is unavailable, records stay spooled: %s", error)

    def _execute(self, spool: SpoolFile, key: tuple[str, int, int], call: _Call) -> None:
        run_id = spool.run_id
        if isinstance(call, _Batch):
            self._ship_batch(run_id, call, key)
        elif isinstance(call, _Points):
            self._ship_points(run_id, call, key)
        elif isinstance(call, _DeleteTag):
            error = self._send(lambda: self._store.delete_tag(run_id, call.key), key, True)
            if isinstance(error, NotFound):
                logger.warning("delete_tag(%r) on run %s: %s", call.key, run_id, error)
            elif error is not None:
                self._reject(run_id, f"delete_tag {call.key!r}", 1, error)
        elif isinstance(call, _EndRun):
            error = self._send(
                lambda: self._store.update_run_info(
                    run_id, status=call.status, end_time=call.end_time
                ),
                key,
                True,
            )
            if error is not None:
                self._reject(run_id, f"end_run {call.status.value}", 1, error)
        elif call.count:
            self._reject(run_id, "records", call.count, call.reason)

    def _ship_batch(self, run_id: str, batch: _Batch, key: tuple[str, int, int]) -> None:
        error = self._send(
            lambda: self._store.log_batch(run_id, batch.metrics, batch.params, batch.tags),
            key,
            True,
        )
        if error is None:
            self.stats.records_sent += len(batch.metrics) + len(batch.params) + len(batch.tags)
        else:
            self._isolate(run_id, batch.items, key, error)

    def _ship_points(self, run_id: str, call: _Points, key: tuple[str, int, int]) -> None:
        bulk = self._bulk
        assert bulk is not None  # planned only for stores that have the capability
        error = self._send(lambda: bulk.log_metric_rows(run_id, call.points), key, True)
        if error is None:
            self.stats.records_sent += len(call.points)
        elif isinstance(error, _RUN_ERRORS):
            self._reject(run_id, _describe(call.items), len(call.points), error)
        else:
            # Isolate the points the store refuses through log_batch, a batch at a time.
            items = call.items
            for first in range(0, len(items), MAX_METRICS_PER_BATCH):
                self._ship_items(run_id, items[first : first + MAX_METRICS_PER_BATCH], key)

    def _ship_items(self, run_id: str, items: Sequence[_Item], key: tuple[str, int, int]) -> None:
        metrics, params, tags = _split(items)
        # An unexpected error inside a bisection is not retried: it is what is being isolated.
        error = self._send(lambda: self._store.log_batch(run_id, metrics, params, tags), key, False)
        if error is None:
            self.stats.records_sent += len(items)
        else:
            self._isolate(run_id, items, key, error)

    def _isolate(
        self, run_id: str, items: Sequence[_Item], key: tuple[str, int, int], error: Exception
    ) -> None:
        """Bisect a refused batch so that only the records the store refuses are dropped."""
        if isinstance(error, _RUN_ERRORS) or len(items) == 1:
            self._reject(run_id, _describe(items), len(items), error)
            return
        middle = len(items) // 2
        self._ship_items(run_id, items[:middle], key)
        self._ship_items(run_id, items[middle:], key)

    def _send(
        self, action: Callable[[], object], key: tuple[str, int, int], retry_unexpected: bool
    ) -> Exception | None:
        """Make one store call: None if it worked, the error if it is permanent.

        Raises:
            _Retry: the error is transient (or unexpected and not yet retried enough).
        """
        try:
            action()
        except _TRANSIENT_ERRORS as error:
            raise _Retry(str(error)) from error
        except (*_RUN_ERRORS, *_RECORD_ERRORS) as error:
            return error
        except Exception as error:
            attempts = self._unexpected.get(key, 0) + 1
            logger.error("unexpected error from the store (attempt %d)", attempts, exc_info=True)
            if retry_unexpected and attempts < self._max_unexpected_attempts:
                self._unexpected[key] = attempts
                raise _Retry(str(error)) from error
            self._unexpected.pop(key, None)
            return error
        self._unexpected.pop(key, None)
        return None

    def _reject(self, run_id: str, what: str, count: int, reason: object) -> None:
        self.stats.records_rejected += count
        logger.error(
            "dropping %d spooled record(s) of run %s (%s): %s", count, run_id, what, reason
        )
