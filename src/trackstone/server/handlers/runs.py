"""Run endpoints: lifecycle, search, and logging metrics, params, tags and inputs to a run."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from trackstone.api.inputs import (
    LogInputs,
    LogOutputs,
    dataset_inputs_from_wire,
    model_inputs_from_wire,
    model_outputs_from_wire,
)
from trackstone.api.messages import EmptyResponse
from trackstone.api.model_metrics import LogBatch, LogMetric, split_model_metrics
from trackstone.api.records import (
    DeleteTag,
    LogParam,
    SetTag,
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
from trackstone.server.handlers import message_handler
from trackstone.server.store_calls import call_store
from trackstone.store.base import TrackingStore
from trackstone.store.logged_models import logged_models_of

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


@message_handler
async def create_run(message: CreateRun, store: TrackingStore) -> CreateRunResponse:
    """Start a run; answer it."""
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
    return CreateRunResponse(run=run_to_wire(run))


@message_handler
async def get_run(message: GetRun, store: TrackingStore) -> GetRunResponse:
    """Answer a run with its latest metrics, params, tags and inputs."""
    run = await call_store(store, store.get_run, message.run_id)
    return GetRunResponse(run=run_to_wire(run))


@message_handler
async def update_run(message: UpdateRun, store: TrackingStore) -> UpdateRunResponse:
    """Change a run's status, end time and/or name; answer its info."""
    info = await call_store(
        store,
        store.update_run_info,
        message.run_id,
        status=message.run_status,
        end_time=message.end_time,
        run_name=message.run_name,
    )
    return UpdateRunResponse(run_info=run_info_to_wire(info))


@message_handler
async def delete_run(message: DeleteRun, store: TrackingStore) -> EmptyResponse:
    """Soft-delete a run."""
    await call_store(store, store.delete_run, message.run_id)
    return EmptyResponse()


@message_handler
async def restore_run(message: RestoreRun, store: TrackingStore) -> EmptyResponse:
    """Restore a soft-deleted run."""
    await call_store(store, store.restore_run, message.run_id)
    return EmptyResponse()


@message_handler
async def search_runs(message: SearchRuns, store: TrackingStore) -> SearchRunsResponse:
    """Answer one page of runs matching a filter."""
    page = await run_in_threadpool(
        store.search_runs,
        message.experiment_ids,
        filter_string=message.filter_string,
        run_view_type=message.view,
        max_results=message.max_results,
        order_by=message.order_by,
        page_token=message.page_token,
    )
    return SearchRunsResponse(runs=[run_to_wire(run) for run in page], next_page_token=page.token)


@message_handler
async def log_metric(message: LogMetric, store: TrackingStore) -> EmptyResponse:
    """Append one metric point to a run (and record it against the logged model it names)."""
    linked = message.to_model_metric()
    if linked is None:
        await call_store(store, store.log_metric, message.run_id, message.to_metric())
    else:
        models = logged_models_of(store)
        await run_in_threadpool(models.log_model_metrics, message.run_id, [linked])
    return EmptyResponse()


@message_handler
async def log_param(message: LogParam, store: TrackingStore) -> EmptyResponse:
    """Set a write-once param of a run."""
    param = Param(message.key, message.value)
    await call_store(store, store.log_param, message.run_id, param)
    return EmptyResponse()


@message_handler
async def set_tag(message: SetTag, store: TrackingStore) -> EmptyResponse:
    """Set or overwrite a tag of a run."""
    tag = RunTag(message.key, message.value)
    await call_store(store, store.set_tag, message.run_id, tag)
    return EmptyResponse()


@message_handler
async def delete_tag(message: DeleteTag, store: TrackingStore) -> EmptyResponse:
    """Remove a tag from a run."""
    await call_store(store, store.delete_tag, message.run_id, message.key)
    return EmptyResponse()


@message_handler
async def log_batch(message: LogBatch, store: TrackingStore) -> EmptyResponse:
    """Store metrics, params and tags of a run at once (all or nothing).

    When points name logged models, the logged-model store takes the whole batch, so the
    links and the run's records are one transaction: an unknown model, or a param that
    conflicts, writes nothing.
    """
    metrics, linked = split_model_metrics(message.metrics)
    params = params_from_wire(message.params)
    tags = tags_from_wire(message.tags)
    if linked:
        models = logged_models_of(store)
        await run_in_threadpool(
            models.log_model_metrics, message.run_id, linked, metrics, params, tags
        )
        return EmptyResponse()
    if len(metrics) + len(params) + len(tags) <= _INLINE_MAX_RECORDS:
        await call_store(
            store, store.log_batch, message.run_id, metrics=metrics, params=params, tags=tags
        )
    else:
        await run_in_threadpool(
            store.log_batch, message.run_id, metrics=metrics, params=params, tags=tags
        )
    return EmptyResponse()


@message_handler
async def log_inputs(message: LogInputs, store: TrackingStore) -> EmptyResponse:
    """Record the datasets and logged models a run consumed."""
    datasets = dataset_inputs_from_wire(message.datasets)
    models = model_inputs_from_wire(message.models)
    if datasets or not models:
        await run_in_threadpool(store.log_inputs, message.run_id, datasets)
    if models:
        links = logged_models_of(store)
        await run_in_threadpool(links.log_model_inputs, message.run_id, models)
    return EmptyResponse()


@message_handler
async def log_outputs(message: LogOutputs, store: TrackingStore) -> EmptyResponse:
    """Record the logged models a run produced."""
    models = model_outputs_from_wire(message.models)
    links = logged_models_of(store)
    await run_in_threadpool(links.log_model_outputs, message.run_id, models)
    return EmptyResponse()
