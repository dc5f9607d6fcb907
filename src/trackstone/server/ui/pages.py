"""The UI's page handlers: each renders a shell whose JS module fills it from the JSON API."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from trackstone.errors import InvalidParameter, NotFound
from trackstone.server.ui.rendering import render_page
from trackstone.store.base import TrackingStore
from trackstone.store.registry import registry_of

__all__ = [
    "compare_page",
    "experiment_page",
    "experiments_page",
    "model_page",
    "model_version_page",
    "models_page",
    "run_page",
]

_MAX_COMPARED_RUNS = 100
_MAX_LISTED_EXPERIMENTS = 100


def _store(request: Request) -> TrackingStore:
    store: TrackingStore = request.app.state.store
    return store


def _not_found(what: str) -> HTMLResponse:
    return render_page("not_found.html", {"what": what}, status_code=404)


async def experiments_page(request: Request) -> HTMLResponse:
    """The experiments list (``/``)."""
    return render_page("experiments.html", {"nav": "experiments"})


async def experiment_page(request: Request) -> HTMLResponse:
    """The runs table of one experiment or several (``/experiments/<id>``, ``/experiments/1,2``)."""
    experiment_ids = _experiment_ids(request.path_params["experiment_id"])
    store = _store(request)
    experiments = []
    for experiment_id in experiment_ids:
        try:
            experiments.append(await run_in_threadpool(store.get_experiment, experiment_id))
        except (NotFound, InvalidParameter):  # an id that is not a number names nothing
            return _not_found(f"experiment {experiment_id!r}")
    if not experiments:
        return _not_found(f"experiment {request.path_params['experiment_id']!r}")
    # The runs table labels its rows with these names when it shows several experiments.
    names = json.dumps({experiment.experiment_id: experiment.name for experiment in experiments})
    return render_page(
        "runs.html",
        {
            "nav": "experiments",
            "experiment": experiments[0],
            "experiments": experiments,
            "experiment_names": names,
        },
    )


def _experiment_ids(text: str) -> list[str]:
    """The distinct ids of a comma-separated list, in order, at most ``_MAX_LISTED_EXPERIMENTS``."""
    ids = dict.fromkeys(part.strip() for part in text.split(",") if part.strip())
    return list(ids)[:_MAX_LISTED_EXPERIMENTS]


async def run_page(request: Request) -> HTMLResponse:
    """A run's page (``/runs/<run_id>``): a shell that ``run.js`` fills from the JSON API."""
    run_id = request.path_params["run_id"]
    store = _store(request)
    try:
        run = await run_in_threadpool(store.get_run, run_id)
        experiment = await run_in_threadpool(store.get_experiment, run.info.experiment_id)
    except NotFound:
        return _not_found(f"run {run_id!r}")
    # The metric keys let the page ask for the charts' points while it still reads the run.
    metric_keys = json.dumps(sorted({metric.key for metric in run.data.latest_metrics}))
    return render_page(
        "run.html",
        {"nav": "experiments", "run": run, "experiment": experiment, "metric_keys": metric_keys},
    )


async def compare_page(request: Request) -> HTMLResponse:
    """The comparison of runs (``/compare?runs=a,b``); its JS module loads and compares them."""
    run_ids = [
        run_id
        for value in request.query_params.getlist("runs")
        for run_id in value.split(",")
        if run_id.strip()
    ][:_MAX_COMPARED_RUNS]
    return render_page("compare.html", {"nav": "experiments", "run_ids": run_ids})


async def models_page(request: Request) -> HTMLResponse:
    """The model registry's list (``/models``)."""
    return render_page("models.html", {"nav": "models"})


async def model_page(request: Request) -> HTMLResponse:
    """A registered model with its versions, aliases and tags (``/models/<name>``)."""
    name = request.path_params["name"]
    try:
        model = await run_in_threadpool(registry_of(_store(request)).get_registered_model, name)
    except NotFound:
        return _not_found(f"registered model {name!r}")
    return render_page("model.html", {"nav": "models", "model": model})


async def model_version_page(request: Request) -> HTMLResponse:
    """One model version (``/models/<name>/versions/<version>``)."""
    name = request.path_params["name"]
    version = request.path_params["version"]
    try:
        registry = registry_of(_store(request))
        model_version = await run_in_threadpool(registry.get_model_version, name, version)
    except (NotFound, InvalidParameter):  # a version that is not a number names nothing
        return _not_found(f"version {version!r} of registered model {name!r}")
    return render_page("model_version.html", {"nav": "models", "model_version": model_version})
