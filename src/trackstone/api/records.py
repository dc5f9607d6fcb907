"""Metric points, params and tags on the wire, and the requests that log them to a run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated

import msgspec

from trackstone.api.messages import Request, RunRequest
from trackstone.api.scalars import Int64, MetricValue, wire_number
from trackstone.entities import Metric, Param, RunTag
from trackstone.entities.validation import MAX_RECORDS_PER_BATCH
from trackstone.errors import InvalidParameter

__all__ = [
    "MAX_METRICS_PER_BATCH",
    "MAX_PARAMS_PER_BATCH",
    "MAX_RECORDS_PER_BATCH",
    "MAX_TAGS_PER_BATCH",
    "DeleteTag",
    "LogBatch",
    "LogMetric",
    "LogParam",
    "SetTag",
    "WireMetric",
    "WireParam",
    "WireTag",
    "metric_from_wire",
    "metric_to_wire",
    "metrics_from_wire",
    "params_from_wire",
    "params_to_wire",
    "tags_from_wire",
    "tags_to_wire",
]

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100


# Records hold only scalars, so they can never be part of a reference cycle: gc=False makes
# building the tens of thousands of them in a large search response cheaper.
class WireMetric(msgspec.Struct, frozen=True, gc=False):
    """``{"key", "value", "timestamp", "step"}``: one metric point (value may be "NaN")."""

    key: str
    value: MetricValue
    timestamp: Int64
    step: Int64 = 0


class WireParam(msgspec.Struct, frozen=True, gc=False):
    """``{"key", "value"}``: one param."""

    key: str
    value: str


class WireTag(msgspec.Struct, frozen=True, gc=False):
    """``{"key", "value"}``: one run, experiment or input tag."""

    key: str
    value: str


class LogMetric(RunRequest, kw_only=True, frozen=True):
    """POST runs/log-metric: append one point to a metric of a run."""

    key: str
    value: MetricValue
    timestamp: Int64
    step: Int64 = 0

    def to_metric(self) -> Metric:
        """Return the point as a validated ``Metric``."""
        return Metric(self.key, float(self.value), self.timestamp, self.step)


class LogParam(RunRequest, kw_only=True, frozen=True):
    """POST runs/log-parameter: set a write-once param of a run."""

    key: str
    value: str


class SetTag(RunRequest, kw_only=True, frozen=True):
    """POST runs/set-tag: set or overwrite a tag of a run."""

    key: str
    value: str


class DeleteTag(Request, kw_only=True, frozen=True):
    """POST runs/delete-tag: remove a tag from a run."""

    run_id: str
    key: str


_BatchMetrics = Annotated[list[WireMetric], msgspec.Meta(max_length=MAX_METRICS_PER_BATCH)]
_BatchParams = Annotated[list[WireParam], msgspec.Meta(max_length=MAX_PARAMS_PER_BATCH)]
_BatchTags = Annotated[list[WireTag], msgspec.Meta(max_length=MAX_TAGS_PER_BATCH)]


class LogBatch(Request, kw_only=True, frozen=True):
    """POST runs/log-batch: up to 1000 metrics, 100 params and 100 tags (1000 in all)."""

    run_id: str
    metrics: _BatchMetrics = msgspec.field(default_factory=list)
    params: _BatchParams = msgspec.field(default_factory=list)
    tags: _BatchTags = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        total = len(self.metrics) + len(self.params) + len(self.tags)
        if total > MAX_RECORDS_PER_BATCH:
            raise ValueError(
                f"metrics, params and tags: at most {MAX_RECORDS_PER_BATCH} in total, got {total}"
            )


def metric_to_wire(metric: Metric) -> WireMetric:
    """Return the wire form of a metric point."""
    return WireMetric(metric.key, wire_number(metric.value), metric.timestamp, metric.step)


def metric_from_wire(wire: WireMetric) -> Metric:
    """Return the validated ``Metric`` a wire point describes."""
    return Metric(wire.key, float(wire.value), wire.timestamp, wire.step)


def metrics_from_wire(items: Sequence[WireMetric], field: str = "metrics") -> list[Metric]:
    """Return validated metrics; a bad one raises InvalidParameter naming ``field[index]``."""
    try:
        return [Metric(m.key, float(m.value), m.timestamp, m.step) for m in items]
    except InvalidParameter:
        pass
    # Slow path only on error: find which point is bad so the message can name it.
    for index, item in enumerate(items):
        try:
            metric_from_wire(item)
        except InvalidParameter as error:
            raise InvalidParameter(f"{field}[{index}]: {error.message}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def params_to_wire(params: Mapping[str, str]) -> list[WireParam]:
    """Return the wire form of a run's params."""
    return [WireParam(key, value) for key, value in params.items()]


def tags_to_wire(tags: Mapping[str, str]) -> list[WireTag]:
    """Return the wire form of a run's or experiment's tags."""
    return [WireTag(key, value) for key, value in tags.items()]


def params_from_wire(items: Iterable[WireParam], field: str = "params") -> list[Param]:
    """Return validated params; a bad one raises InvalidParameter naming ``field[index]``."""
    result = []
    for index, item in enumerate(items):
        try:
            result.append(Param(item.key, item.value))
        except InvalidParameter as error:
            raise InvalidParameter(f"{field}[{index}]: {error.message}") from None
    return result


def tags_from_wire(items: Iterable[WireTag], field: str = "tags") -> list[RunTag]:
    """Return validated run tags; a bad one raises InvalidParameter naming ``field[index]``."""
    result = []
    for index, item in enumerate(items):
        try:
            result.append(RunTag(item.key, item.value))
        except InvalidParameter as error:
            raise InvalidParameter(f"{field}[{index}]: {error.message}") from None
    return result
