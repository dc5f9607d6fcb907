"""Trackstone-only maintenance endpoints: list soft-deleted runs and experiments, purge them."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.experiments import experiment_to_wire
from trackstone.api.maintenance import (
    ListDeletedExperiments,
    ListDeletedExperimentsResponse,
    ListDeletedRuns,
    ListDeletedRunsResponse,
    PurgeExperiment,
    PurgeRun,
)
from trackstone.api.messages import EmptyResponse
from trackstone.api.runs import run_info_to_wire
from trackstone.server.bodies import parse, respond
from trackstone.store.base import TrackingStore

__all__ = ["list_deleted_experiments", "list_deleted_runs", "purge_experiment", "purge_run"]


async def list_deleted_runs(request: Request, store: TrackingStore) -> Response:
    """Answer the soft-deleted runs, deleted at least ``older_than_ms`` ago when given."""
    message = await parse(request, ListDeletedRuns)
    infos = await run_in_threadpool(store.list_deleted_runs, message.older_than_ms)
    return respond(ListDeletedRunsResponse(runs=[run_info_to_wire(info) for info in infos]))


async def list_deleted_experiments(request: Request, store: TrackingStore) -> Response:
    """Answer the soft-deleted experiments, deleted at least ``older_than_ms`` ago when given."""
    message = await parse(request, ListDeletedExperiments)
    found = await run_in_threadpool(store.list_deleted_experiments, message.older_than_ms)
    return respond(
        ListDeletedExperimentsResponse(experiments=[experiment_to_wire(e) for e in found])
    )


async def purge_run(request: Request, store: TrackingStore) -> Response:
    """Remove a soft-deleted run's records for good."""
    message = await parse(request, PurgeRun)
    await run_in_threadpool(store.purge_run, message.run_id)
    return respond(EmptyResponse())


async def purge_experiment(request: Request, store: TrackingStore) -> Response:
    """Remove a soft-deleted experiment and all its runs for good."""
    message = await parse(request, PurgeExperiment)
    await run_in_threadpool(store.purge_experiment, message.experiment_id)
    return respond(EmptyResponse())
