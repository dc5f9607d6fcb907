"""Metric history endpoints: one metric of a run (paged), and of many runs downsampled."""

from __future__ import annotations

import functools

from starlette.concurrency import run_in_threadpool

from trackstone.api.metrics import (
    GetMetricHistory,
    GetMetricHistoryBulkInterval,
    GetMetricHistoryBulkIntervalResponse,
    GetMetricHistoryResponse,
    metric_with_run_id_to_wire,
)
from trackstone.api.records import metric_to_wire
from trackstone.server.handlers import message_handler
from trackstone.server.store_calls import call_store
from trackstone.store.base import TrackingStore

__all__ = ["get_metric_history", "get_metric_history_bulk_interval"]

# A page of up to this many points is one short index range: read it on the event loop.
_INLINE_MAX_POINTS = 1000


@message_handler
async def get_metric_history(
    message: GetMetricHistory, store: TrackingStore
) -> GetMetricHistoryResponse:
    """Answer a page of the points of one metric of a run."""
    read = functools.partial(
        store.get_metric_history,
        message.run_id,
        message.metric_key,
        max_results=message.max_results,
        page_token=message.page_token,
    )
    small = message.max_results is not None and message.max_results <= _INLINE_MAX_POINTS
    page = await (call_store(store, read) if small else run_in_threadpool(read))
    return GetMetricHistoryResponse(
        metrics=[metric_to_wire(metric) for metric in page], next_page_token=page.token
    )


@message_handler
async def get_metric_history_bulk_interval(
    message: GetMetricHistoryBulkInterval, store: TrackingStore
) -> GetMetricHistoryBulkIntervalResponse:
    """Answer one metric of several runs, downsampled for charts."""
    points = await run_in_threadpool(
        store.get_metric_history_downsampled,
        message.run_ids,
        message.metric_key,
        message.points_per_run,
        start_step=message.start_step,
        end_step=message.end_step,
    )
    return GetMetricHistoryBulkIntervalResponse(
        metrics=[metric_with_run_id_to_wire(point.run_id, point.metric) for point in points]
    )
