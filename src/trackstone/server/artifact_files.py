"""Run- and version-scoped artifact downloads: MLflow's ``get-artifact`` file routes.

Routes (GET, at the server root as ``mlflow server`` has them, and under ``/ajax-api/2.0/mlflow``
for the web UI):

- ``/get-artifact?run_id=<id>&path=<p>`` (``run_uuid`` is the older name of ``run_id``): the
  file ``p`` of a run's artifacts;
- ``/model-versions/get-artifact?name=<model>&version=<n>&path=<p>``: the file ``p`` of a
  model version's files (its ``storage_location``).

Unlike the ``mlflow-artifacts`` proxy these read through the repository of the run's own
artifact URI, so they also serve runs whose artifacts are not proxied (a server started with
``--no-serve-artifacts`` keeps them under its default artifact root). The confinement is the
same: ``path`` goes through ``safe_relative_path``, the artifact URI must lie under the
server's artifact roots (``ArtifactRoots.repository_for_run``) and local repositories refuse
symlinks leading out. Responses are the proxy's downloads (``download_response``): always an
attachment, active types (HTML, SVG, scripts) as ``application/octet-stream``, ``nosniff``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from trackstone.api.routes import AJAX_API_PREFIX
from trackstone.artifacts.base import ArtifactRepository
from trackstone.artifacts.paths import safe_relative_path
from trackstone.errors import InvalidParameter
from trackstone.server.artifact_proxy import download_response
from trackstone.server.artifact_roots import roots_of
from trackstone.store.base import TrackingStore
from trackstone.store.registry import registry_of

__all__ = [
    "RUN_ARTIFACT_PATH",
    "VERSION_ARTIFACT_PATH",
    "artifact_file_routes",
    "get_model_version_artifact",
    "get_run_artifact",
]

RUN_ARTIFACT_PATH = "/get-artifact"
VERSION_ARTIFACT_PATH = "/model-versions/get-artifact"
# The web UI calls the JSON API under this prefix; the files are offered there too.
_AJAX_MLFLOW_PREFIX = AJAX_API_PREFIX + "/mlflow"


def _required(request: Request, field: str) -> str:
    values = request.query_params.getlist(field)
    if not values or not values[0]:
        raise InvalidParameter(f"{field}: this query parameter is required")
    if len(values) > 1:
        raise InvalidParameter(f"{field}: give it once, got {len(values)} values")
    return values[0]


def _file_path(request: Request) -> str:
    path = safe_relative_path(_required(request, "path"))
    if not path:
        raise InvalidParameter("path '': is a folder, not a file")
    return path


def _run_id(request: Request) -> str:
    given = {
        field: request.query_params[field]
        for field in ("run_id", "run_uuid")
        if request.query_params.get(field)
    }
    if not given:
        raise InvalidParameter("run_id: this query parameter is required (or run_uuid)")
    if len(set(given.values())) > 1:
        raise InvalidParameter(
            f"run_id {given['run_id']!r} and run_uuid {given['run_uuid']!r}: name different "
            "runs; give one"
        )
    return _required(request, next(iter(given)))


def _store(request: Request) -> TrackingStore:
    store: TrackingStore = request.app.state.store
    return store


async def get_run_artifact(request: Request) -> Response:
    """Download one file of a run's artifacts, read through the run's artifact repository."""
    run_id = _run_id(request)
    path = _file_path(request)
    store = _store(request)
    roots = roots_of(request.app.state)

    def repository() -> ArtifactRepository:
        run = store.get_run(run_id)
        return roots.repository_for_run(run.info.artifact_uri)

    return await download_response(await run_in_threadpool(repository), path)


async def get_model_version_artifact(request: Request) -> Response:
    """Download one file of a model version's files (under its storage location)."""
    name = _required(request, "name")
    version = _required(request, "version")
    path = _file_path(request)
    store = _store(request)
    roots = roots_of(request.app.state)

    def repository() -> ArtifactRepository:
        uri = registry_of(store).get_model_version_download_uri(name, version)
        return roots.repository_for_run(uri)

    return await download_response(await run_in_threadpool(repository), path)


def artifact_file_routes() -> list[BaseRoute]:
    """Return the ``get-artifact`` routes at the root and under the UI's API prefix."""
    routes: list[BaseRoute] = []
    for prefix in ("", _AJAX_MLFLOW_PREFIX):
        routes.append(Route(prefix + RUN_ARTIFACT_PATH, get_run_artifact, methods=["GET"]))
        routes.append(
            Route(prefix + VERSION_ARTIFACT_PATH, get_model_version_artifact, methods=["GET"])
        )
    return routes
