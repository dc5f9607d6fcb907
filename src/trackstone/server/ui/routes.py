"""``ui_routes()``: the UI's pages, its static files and its JSON endpoints, for the app."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from trackstone.server.ui.assets import STATIC_DIR
from trackstone.server.ui.pages import (
    compare_page,
    experiment_page,
    experiments_page,
    model_page,
    model_version_page,
    models_page,
    run_page,
)
from trackstone.server.ui.stats_api import EXPERIMENT_STATS_PATH, experiment_stats

__all__ = ["STATIC_PREFIX", "ui_routes"]

STATIC_PREFIX = "/static"


def ui_routes() -> list[BaseRoute]:
    """Return the routes of the web UI (pages at ``/``, assets under ``/static``)."""
    return [
        Route("/", experiments_page, methods=["GET"]),
        Route("/experiments/{experiment_id}", experiment_page, methods=["GET"]),
        Route("/runs/{run_id}", run_page, methods=["GET"]),
        Route("/compare", compare_page, methods=["GET"]),
        Route("/models", models_page, methods=["GET"]),
        Route("/models/{name}", model_page, methods=["GET"]),
        Route("/models/{name}/versions/{version}", model_version_page, methods=["GET"]),
        Route(EXPERIMENT_STATS_PATH, experiment_stats, methods=["GET"]),
        Mount(STATIC_PREFIX, app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
