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


async def get_experiment(request: Request, store: TrackingStore) -> Response:
    """Answer an experiment by id."""
    message = await parse(request, GetExperiment)
    experiment = await run_in_threadpool(store.get_experiment, message.experiment_id)
    return respond(GetExperimentResponse(experiment=experiment_to_wire(experiment)))


async def get_experiment_by_name(request: Request, store: TrackingStore) -> Response:
    """Answer an experiment by exact name."""
    message = await parse(request, GetExperimentByName)
    experiment = await run_in_threadpool(store.get_experiment_by_name, message.experiment_name)
    if experiment is None:
        raise NotFound(f"experiment_name: no experiment is named {message.experiment_name!r}")
    return respond(GetExperimentResponse(experiment=experiment_to_wire(experiment)))


async def search_experiments(request: Request, store: TrackingStore) -> Response:
    """Answer one page of experiments matching a filter."""
    message = await parse(request, SearchExperiments)
    page = await run_in_threadpool(
        store.search_experiments,
        view_type=message.view,
        max_results=message.max_results,
        filter_string=message.filter_string,
        order_by=message.order_by,
        page_token=message.page_token,
    )
    return respond(
        SearchExperimentsResponse(
            experiments=[experiment_to_wire(experiment) for experiment in page],
            next_page_token=page.token,
        )
    )


async def update_experiment(request: Request, store: TrackingStore) -> Response:
    """Rename an experiment (without ``new_name``, only check that it exists)."""
    message = await parse(request, UpdateExperiment)
    if message.new_name is None:
        await run_in_threadpool(store.get_experiment, message.experiment_id)
    else:
        await run_in_threadpool(store.rename_experiment, message.experiment_id, message.new_name)
    return respond(EmptyResponse())


async def delete_experiment(request: Request, store: TrackingStore) -> Response:
    """Soft-delete an experiment and its runs."""
    message = await parse(request, DeleteExperiment)
    await run_in_threadpool(store.delete_experiment, message.experiment_id)
    return respond(EmptyResponse())


async def restore_experiment(request: Request, store: TrackingStore) -> Response:
    """Restore a soft-deleted experiment."""
    message = await parse(request, RestoreExperiment)
    await run_in_threadpool(store.restore_experiment, message.experiment_id)
    return respond(EmptyResponse())


async def set_experiment_tag(request: Request, store: TrackingStore) -> Response:
    """Set or overwrite a tag of an experiment."""
    message = await parse(request, SetExperimentTag)
    tag = ExperimentTag(message.key, message.value)
    await run_in_threadpool(store.set_experiment_tag, message.experiment_id, tag)
    return respond(EmptyResponse())


async def delete_experiment_tag(request: Request, store: TrackingStore) -> Response:
    """Remove a tag from an experiment."""
    message = await parse(request, DeleteExperimentTag)
    await run_in_threadpool(store.delete_experiment_tag, message.experiment_id, message.key)
    return respond(EmptyResponse())
