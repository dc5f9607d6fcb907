"""Metric history endpoints: one metric of a run (paged), and of many runs downsampled."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.metrics import (
    GetMetricHistory,
    GetMetricHistoryBulkInterval,
    GetMetricHistoryBulkIntervalResponse,
    GetMetricHistoryResponse,
    metric_with_run_id_to_wire,
)
from trackstone.api.records import metric_to_wire
from trackstone.server.bodies import parse, respond
from trackstone.store.base import TrackingStore

__all__ = ["get_metric_history", "get_metric_history_bulk_interval"]


async def get_metric_history(request: Request, store: TrackingStore) -> Response:
    """Answer a page of the points of one metric of a run."""
    message = await parse(request, GetMetricHistory)
    page = await run_in_threadpool(
        store.get_metric_history,
        message.run_id,
        message.metric_key,
        max_results=message.max_results,
        page_token=message.page_token,
    )
    return respond(
        GetMetricHistoryResponse(
            metrics=[metric_to_wire(metric) for metric in page], next_page_token=page.token
        )
    )


async def get_metric_history_bulk_interval(request: Request, store: TrackingStore) -> Response:
    """Answer one metric of several runs, downsampled for charts."""
    message = await parse(request, GetMetricHistoryBulkInterval)
    points = await run_in_threadpool(
        store.get_metric_history_downsampled,
        message.run_ids,
        message.metric_key,
        message.points_per_run,
        start_step=message.start_step,
        end_step=message.end_step,
    )
    return respond(
        GetMetricHistoryBulkIntervalResponse(
            metrics=[metric_with_run_id_to_wire(point.run_id, point.metric) for point in points]
        )
    )
