"""Metric history on the wire: one metric of one run (paged), or of many runs downsampled."""

from __future__ import annotations

from typing import Annotated

import msgspec

from trackstone.api.messages import Request, Response, RunRequest
from trackstone.api.records import WireMetric
from trackstone.api.scalars import INT32_MAX, Int32, Int64, MetricValue, PositiveInt32, wire_number
from trackstone.entities import Metric

__all__ = [
    "BULK_INTERVAL_MAX_RESULTS_LIMIT",
    "BULK_INTERVAL_MAX_RUN_IDS",
    "GetMetricHistory",
    "GetMetricHistoryBulkInterval",
    "GetMetricHistoryBulkIntervalResponse",
    "GetMetricHistoryResponse",
    "WireMetricWithRunId",
    "metric_with_run_id_from_wire",
    "metric_with_run_id_to_wire",
]

BULK_INTERVAL_MAX_RUN_IDS = 100
BULK_INTERVAL_MAX_RESULTS_LIMIT = 2500


class GetMetricHistory(RunRequest, kw_only=True, frozen=True):
    """GET metrics/get-history: every point of one metric of a run, paged by ``max_results``.

    Without ``max_results`` the whole history comes back in one response.
    """

    metric_key: str
    page_token: str | None = None
    max_results: PositiveInt32 | None = None


class GetMetricHistoryResponse(Response, kw_only=True):
    """A page of points ordered by step then timestamp, and the next page's token."""

    metrics: list[WireMetric] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


class GetMetricHistoryBulkInterval(Request, kw_only=True, frozen=True):
    """GET metrics/get-history-bulk-interval: one metric of several runs, downsampled.

    ``max_results`` points per run at most (larger values are capped at 2500); the steps
    between ``start_step`` and ``end_step`` when both are given.
    """

    run_ids: Annotated[list[str], msgspec.Meta(min_length=1, max_length=BULK_INTERVAL_MAX_RUN_IDS)]
    metric_key: str
    start_step: Int32 | None = None
    end_step: Int32 | None = None
    max_results: Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)] = BULK_INTERVAL_MAX_RESULTS_LIMIT

    def __post_init__(self) -> None:
        if (self.start_step is None) != (self.end_step is None):
            raise ValueError("start_step and end_step: give both or neither")
        if (
            self.start_step is not None
            and self.end_step is not None
            and (self.start_step > self.end_step)
        ):
            raise ValueError(
                f"start_step: must not exceed end_step ({self.end_step}), got {self.start_step}"
            )

    @property
    def points_per_run(self) -> int:
        """``max_results`` capped at the server's limit."""
        return min(self.max_results, BULK_INTERVAL_MAX_RESULTS_LIMIT)


class WireMetricWithRunId(msgspec.Struct, frozen=True, gc=False):
    """A metric point and the run it belongs to."""

    key: str
    value: MetricValue
    timestamp: Int64
    step: Int64 = 0
    run_id: str = ""


class GetMetricHistoryBulkIntervalResponse(Response, kw_only=True):
    """The sampled points, grouped by run in request order, then by step and timestamp."""

    metrics: list[WireMetricWithRunId] = msgspec.field(default_factory=list)


def metric_with_run_id_to_wire(run_id: str, metric: Metric) -> WireMetricWithRunId:
    """Return the wire form of a point of a run."""
    return WireMetricWithRunId(
        metric.key, wire_number(metric.value), metric.timestamp, metric.step, run_id
    )


def metric_with_run_id_from_wire(wire: WireMetricWithRunId) -> tuple[str, Metric]:
    """Return the run id and the validated point a wire point describes."""
    return wire.run_id, Metric(wire.key, float(wire.value), wire.timestamp, wire.step)
