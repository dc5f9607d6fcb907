"""A scriptable in-memory ``RecordSink`` for spool/sender tests: records every call it accepts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from trackstone.entities import Metric, Param, RunStatus, RunTag
from trackstone.errors import InvalidParameter, NotFound

__all__ = ["BulkFakeSink", "FakeSink", "StoreCall"]


@dataclass(frozen=True)
class StoreCall:
    """One accepted call: its method name, run and arguments."""

    method: str
    run_id: str
    metrics: tuple[Metric, ...] = ()
    params: tuple[Param, ...] = ()
    tags: tuple[RunTag, ...] = ()
    key: str = ""
    status: RunStatus | None = None
    end_time: int | None = None


@dataclass
class FakeSink:
    """Accepts calls like a store would; ``fail_next`` scripts errors for the next calls.

    ``reject`` decides, per accepted-looking call, whether a record is permanently bad (like a
    store raising InvalidParameter for a whole ``log_batch``). Tags behave as upserts and
    ``delete_tag`` of an absent tag raises NotFound, as the real store does.
    """

    fail_next: list[Exception] = field(default_factory=list)
    reject: Callable[[Metric | Param | RunTag], str | None] = lambda item: None
    calls: list[StoreCall] = field(default_factory=list)
    failed_calls: int = 0
    tags: dict[tuple[str, str], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failed: threading.Event = field(default_factory=threading.Event)

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.failed_calls += 1
            self.failed.set()
            raise self.fail_next.pop(0)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        with self.lock:
            self._maybe_fail()
            for item in (*metrics, *params, *tags):
                reason = self.reject(item)
                if reason:
                    raise InvalidParameter(f"{item.key}: {reason}")
            for tag in tags:
                self.tags[(run_id, tag.key)] = tag.value
            self.calls.append(
                StoreCall("log_batch", run_id, tuple(metrics), tuple(params), tuple(tags))
            )

    def delete_tag(self, run_id: str, key: str) -> None:
        with self.lock:
            self._maybe_fail()
            if self.tags.pop((run_id, key), None) is None:
                raise NotFound(f"run {run_id} has no tag {key!r}")
            self.calls.append(StoreCall("delete_tag", run_id, key=key))

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        with self.lock:
            self._maybe_fail()
            self.calls.append(
                StoreCall("update_run_info", run_id, status=status, end_time=end_time)
            )

    def metrics(self, run_id: str | None = None) -> list[Metric]:
        """Return every metric point accepted, in arrival order."""
        with self.lock:
            return [
                metric
                for call in self.calls
                if run_id is None or call.run_id == run_id
                for metric in call.metrics
            ]

    def methods(self) -> list[str]:
        """Return the method names of the accepted calls, in order."""
        with self.lock:
            return [call.method for call in self.calls]


@dataclass
class BulkFakeSink(FakeSink):
    """A ``FakeSink`` that also has the stores' bulk capability, ``log_metric_rows``."""

    def log_metric_rows(self, run_id: str, points: Sequence[tuple[str, float, int, int]]) -> None:
        with self.lock:
            self._maybe_fail()
            metrics = tuple(Metric(*point) for point in points)
            for metric in metrics:
                reason = self.reject(metric)
                if reason:
                    raise InvalidParameter(f"{metric.key}: {reason}")
            self.calls.append(StoreCall("log_metric_rows", run_id, metrics))
