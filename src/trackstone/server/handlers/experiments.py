"""Experiment endpoints: create, get, get-by-name, search, update, delete, restore, tags."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.experiments import (
    CreateExperiment,
    CreateExperimentResponse,
    DeleteExperiment,
    DeleteExperimentTag,
    GetExperiment,
    GetExperimentByName,
    GetExperimentResponse,
    RestoreExperiment,
    SearchExperiments,
    SearchExperimentsResponse,
    SetExperimentTag,
    UpdateExperiment,
    experiment_tags_from_wire,
    experiment_to_wire,
)
from trackstone.api.messages import EmptyResponse
from trackstone.entities import ExperimentTag
from trackstone.errors import NotFound
from trackstone.server.artifact_roots import roots_of
from trackstone.server.bodies import parse, respond
from trackstone.server.handlers import message_handler
from trackstone.server.store_calls import call_store
from trackstone.store.base import TrackingStore

__all__ = [
    "create_experiment",
    "delete_experiment",
    "delete_experiment_tag",
    "get_experiment",
    "get_experiment_by_name",
    "restore_experiment",
    "search_experiments",
    "set_experiment_tag",
    "update_experiment",
]


async def create_experiment(request: Request, store: TrackingStore) -> Response:
    """Create an experiment; answer its id."""
    message = await parse(request, CreateExperiment)
    roots_of(request.app.state).check_location(message.artifact_location)
    tags = experiment_tags_from_wire(message.tags)
    experiment_id = await run_in_threadpool(
        store.create_experiment, message.name, message.artifact_location, tags
    )
    return respond(CreateExperimentResponse(experiment_id=experiment_id))


@message_handler
async def get_experiment(message: GetExperiment, store: TrackingStore) -> GetExperimentResponse:
    """Answer an experiment by id."""
    experiment = await call_store(store, store.get_experiment, message.experiment_id)
    return GetExperimentResponse(experiment=experiment_to_wire(experiment))


@message_handler
async def get_experiment_by_name(
    message: GetExperimentByName, store: TrackingStore
) -> GetExperimentResponse:
    """Answer an experiment by exact name."""
    experiment = await call_store(store, store.get_experiment_by_name, message.experiment_name)
    if experiment is None:
        raise NotFound(f"experiment_name: no experiment is named {message.experiment_name!r}")
    return GetExperimentResponse(experiment=experiment_to_wire(experiment))


@message_handler
async def search_experiments(
    message: SearchExperiments, store: TrackingStore
) -> SearchExperimentsResponse:
    """Answer one page of experiments matching a filter."""
    page = await run_in_threadpool(
        store.search_experiments,
        view_type=message.view,
        max_results=message.max_results,
        filter_string=message.filter_string,
        order_by=message.order_by,
        page_token=message.page_token,
    )
    return SearchExperimentsResponse(
        experiments=[experiment_to_wire(experiment) for experiment in page],
        next_page_token=page.token,
    )


@message_handler
async def update_experiment(message: UpdateExperiment, store: TrackingStore) -> EmptyResponse:
    """Rename an experiment (without ``new_name``, only check that it exists)."""
    if message.new_name is None:
        await call_store(store, store.get_experiment, message.experiment_id)
    else:
        await call_store(store, store.rename_experiment, message.experiment_id, message.new_name)
    return EmptyResponse()


@message_handler
async def delete_experiment(message: DeleteExperiment, store: TrackingStore) -> EmptyResponse:
    """Soft-delete an experiment and its runs."""
    await run_in_threadpool(store.delete_experiment, message.experiment_id)
    return EmptyResponse()


@message_handler
async def restore_experiment(message: RestoreExperiment, store: TrackingStore) -> EmptyResponse:
    """Restore a soft-deleted experiment."""
    await run_in_threadpool(store.restore_experiment, message.experiment_id)
    return EmptyResponse()


@message_handler
async def set_experiment_tag(message: SetExperimentTag, store: TrackingStore) -> EmptyResponse:
    """Set or overwrite a tag of an experiment."""
    tag = ExperimentTag(message.key, message.value)
    await call_store(store, store.set_experiment_tag, message.experiment_id, tag)
    return EmptyResponse()


@message_handler
async def delete_experiment_tag(
    message: DeleteExperimentTag, store: TrackingStore
) -> EmptyResponse:
    """Remove a tag from an experiment."""
    await call_store(store, store.delete_experiment_tag, message.experiment_id, message.key)
    return EmptyResponse()
