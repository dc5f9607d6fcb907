"""Run endpoints: lifecycle, search, and logging metrics, params, tags and inputs to a run."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.inputs import LogInputs, LogOutputs, dataset_inputs_from_wire
from trackstone.api.messages import EmptyResponse
from trackstone.api.records import (
    DeleteTag,
    LogBatch,
    LogMetric,
    LogParam,
    SetTag,
    metrics_from_wire,
    params_from_wire,
    tags_from_wire,
)
from trackstone.api.runs import (
    CreateRun,
    CreateRunResponse,
    DeleteRun,
    GetRun,
    GetRunResponse,
    RestoreRun,
    SearchRuns,
    SearchRunsResponse,
    UpdateRun,
    UpdateRunResponse,
    run_info_to_wire,
    run_to_wire,
)
from trackstone.entities import Param, RunTag
from trackstone.server.bodies import parse, respond
from trackstone.server.store_calls import call_store
from trackstone.store.base import TrackingStore

# Batches up to this many records are small enough to store on the event loop.
_INLINE_MAX_RECORDS = 100

__all__ = [
    "create_run",
    "delete_run",
    "delete_tag",
    "get_run",
    "log_batch",
    "log_inputs",
    "log_metric",
    "log_outputs",
    "log_param",
    "restore_run",
    "search_runs",
    "set_tag",
    "update_run",
]


async def create_run(request: Request, store: TrackingStore) -> Response:
    """Start a run; answer it."""
    message = await parse(request, CreateRun)
    tags = tags_from_wire(message.tags)
    run = await call_store(
        store,
        store.create_run,
        message.experiment_id,
        user_id=message.user_id,
        start_time=message.start_time,
        tags=tags,
        run_name=message.run_name,
    )
    return respond(CreateRunResponse(run=run_to_wire(run)))


async def get_run(request: Request, store: TrackingStore) -> Response:
    """Answer a run with its latest metrics, params, tags and inputs."""
    message = await parse(request, GetRun)
    run = await call_store(store, store.get_run, message.run_id)
    return respond(GetRunResponse(run=run_to_wire(run)))


async def update_run(request: Request, store: TrackingStore) -> Response:
    """Change a run's status, end time and/or name; answer its info."""
    message = await parse(request, UpdateRun)
    info = await call_store(
        store,
        store.update_run_info,
        message.run_id,
        status=message.run_status,
        end_time=message.end_time,
        run_name=message.run_name,
    )
    return respond(UpdateRunResponse(run_info=run_info_to_wire(info)))


async def delete_run(request: Request, store: TrackingStore) -> Response:
    """Soft-delete a run."""
    message = await parse(request, DeleteRun)
    await call_store(store, store.delete_run, message.run_id)
    return respond(EmptyResponse())


async def restore_run(request: Request, store: TrackingStore) -> Response:
    """Restore a soft-deleted run."""
    message = await parse(request, RestoreRun)
    await call_store(store, store.restore_run, message.run_id)
    return respond(EmptyResponse())


async def search_runs(request: Request, store: TrackingStore) -> Response:
    """Answer one page of runs matching a filter."""
    message = await parse(request, SearchRuns)
    page = await run_in_threadpool(
        store.search_runs,
        message.experiment_ids,
        filter_string=message.filter_string,
        run_view_type=message.view,
        max_results=message.max_results,
        order_by=message.order_by,
        page_token=message.page_token,
    )
    return respond(
        SearchRunsResponse(runs=[run_to_wire(run) for run in page], next_page_token=page.token)
    )


async def log_metric(request: Request, store: TrackingStore) -> Response:
    """Append one metric point to a run."""
    message = await parse(request, LogMetric)
    await call_store(store, store.log_metric, message.run_id, message.to_metric())
    return respond(EmptyResponse())


async def log_param(request: Request, store: TrackingStore) -> Response:
    """Set a write-once param of a run."""
    message = await parse(request, LogParam)
    param = Param(message.key, message.value)
    await call_store(store, store.log_param, message.run_id, param)
    return respond(EmptyResponse())


async def set_tag(request: Request, store: TrackingStore) -> Response:
    """Set or overwrite a tag of a run."""
    message = await parse(request, SetTag)
    tag = RunTag(message.key, message.value)
    await call_store(store, store.set_tag, message.run_id, tag)
    return respond(EmptyResponse())


async def delete_tag(request: Request, store: TrackingStore) -> Response:
    """Remove a tag from a run."""
    message = await parse(request, DeleteTag)
    await call_store(store, store.delete_tag, message.run_id, message.key)
    return respond(EmptyResponse())


async def log_batch(request: Request, store: TrackingStore) -> Response:
    """Store metrics, params and tags of a run at once (all or nothing)."""
    message = await parse(request, LogBatch)
    metrics = metrics_from_wire(message.metrics)
    params = params_from_wire(message.params)
    tags = tags_from_wire(message.tags)
    if len(metrics) + len(params) + len(tags) <= _INLINE_MAX_RECORDS:
        await call_store(
            store, store.log_batch, message.run_id, metrics=metrics, params=params, tags=tags
        )
    else:
        await run_in_threadpool(
            store.log_batch, message.run_id, metrics=metrics, params=params, tags=tags
        )
    return respond(EmptyResponse())


async def log_inputs(request: Request, store: TrackingStore) -> Response:
    """Record the datasets a run consumed (model inputs are accepted and not stored yet)."""
    message = await parse(request, LogInputs)
    datasets = dataset_inputs_from_wire(message.datasets)
    await run_in_threadpool(store.log_inputs, message.run_id, datasets)
    return respond(EmptyResponse())


async def log_outputs(request: Request, store: TrackingStore) -> Response:
    """Accept the models a run produced once the run is known (logged models come later)."""
    message = await parse(request, LogOutputs)
    await call_store(store, store.get_run, message.run_id)
    return respond(EmptyResponse())
