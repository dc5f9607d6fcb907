"""The ROUTES table: every tracking endpoint with its methods, paths, messages and handler name.

The server builds its routing and the OpenAPI document from this table, and ``RestStore``
finds the path and response type of each call in it, so both sides share one definition.
Each path is served under ``/api/2.0`` and under the ``/ajax-api/2.0`` alias MLflow's UI uses
(``/api/3.0`` for the few MLflow 3 routes whose ``api_version`` says so). Paths may hold
``{name}`` parameters, which the handler reads from the path.
"""

from __future__ import annotations

from trackstone.api import (
    artifacts,
    experiments,
    inputs,
    logged_models,
    maintenance,
    metrics,
    model_metrics,
    records,
    runs,
    server_info,
)
from trackstone.api.messages import EmptyResponse, Request, Response
from trackstone.api.registry_routes import REGISTRY_ROUTES
from trackstone.api.route import Route

__all__ = ["AJAX_API_PREFIX", "API_PREFIX", "ROUTES", "Route", "route_named"]

API_PREFIX = "/api/2.0"
AJAX_API_PREFIX = "/ajax-api/2.0"


def _post(
    name: str, path: str, request: type[Request], response: type[Response], summary: str
) -> Route:
    return Route(name, ("POST",), path, request, response, summary)


def _get(
    name: str, path: str, request: type[Request], response: type[Response], summary: str
) -> Route:
    return Route(name, ("GET",), path, request, response, summary)


_EXPERIMENTS = "/mlflow/experiments"
_RUNS = "/mlflow/runs"
_MAINTENANCE = "/trackstone"
_MODELS = "/mlflow/logged-models"
_MODEL = _MODELS + "/{model_id}"

ROUTES: tuple[Route, ...] = (
    _post(
        "create_experiment",
        f"{_EXPERIMENTS}/create",
        experiments.CreateExperiment,
        experiments.CreateExperimentResponse,
        "Create an experiment with a unique name; returns its id.",
    ),
    _get(
        "get_experiment",
        f"{_EXPERIMENTS}/get",
        experiments.GetExperiment,
        experiments.GetExperimentResponse,
        "Get an experiment by id, deleted ones included.",
    ),
    _get(
        "get_experiment_by_name",
        f"{_EXPERIMENTS}/get-by-name",
        experiments.GetExperimentByName,
        experiments.GetExperimentResponse,
        "Get an experiment by exact name.",
    ),
    Route(
        "search_experiments",
        ("GET", "POST"),
        f"{_EXPERIMENTS}/search",
        experiments.SearchExperiments,
        experiments.SearchExperimentsResponse,
        "Search experiments by filter, in order, one page at a time.",
    ),
    _post(
        "update_experiment",
        f"{_EXPERIMENTS}/update",
        experiments.UpdateExperiment,
        EmptyResponse,
        "Rename an experiment.",
    ),
    _post(
        "delete_experiment",
        f"{_EXPERIMENTS}/delete",
        experiments.DeleteExperiment,
        EmptyResponse,
        "Soft-delete an experiment and its runs.",
    ),
    _post(
        "restore_experiment",
        f"{_EXPERIMENTS}/restore",
        experiments.RestoreExperiment,
        EmptyResponse,
        "Restore a soft-deleted experiment and its runs.",
    ),
    _post(
        "set_experiment_tag",
        f"{_EXPERIMENTS}/set-experiment-tag",
        experiments.SetExperimentTag,
        EmptyResponse,
        "Set or overwrite a tag on an experiment.",
    ),
    _post(
        "delete_experiment_tag",
        f"{_EXPERIMENTS}/delete-experiment-tag",
        experiments.DeleteExperimentTag,
        EmptyResponse,
        "Remove a tag from an experiment.",
    ),
    _post(
        "create_run",
        f"{_RUNS}/create",
        runs.CreateRun,
        runs.CreateRunResponse,
        "Start a run in an experiment.",
    ),
    _get(
        "get_run",
        f"{_RUNS}/get",
        runs.GetRun,
        runs.GetRunResponse,
        "Get a run with its latest metrics, params, tags and inputs.",
    ),
    _post(
        "update_run",
        f"{_RUNS}/update",
        runs.UpdateRun,
        runs.UpdateRunResponse,
        "Change a run's status, end time or name.",
    ),
    _post("delete_run", f"{_RUNS}/delete", runs.DeleteRun, EmptyResponse, "Soft-delete a run."),
    _post(
        "restore_run",
        f"{_RUNS}/restore",
        runs.RestoreRun,
        EmptyResponse,
        "Restore a soft-deleted run.",
    ),
    _post(
        "search_runs",
        f"{_RUNS}/search",
        runs.SearchRuns,
        runs.SearchRunsResponse,
        "Search runs of experiments by filter, in order, one page at a time.",
    ),
    _post(
        "log_metric",
        f"{_RUNS}/log-metric",
        model_metrics.LogMetric,
        EmptyResponse,
        "Append one point to a metric of a run.",
    ),
    _post(
        "log_param",
        f"{_RUNS}/log-parameter",
        records.LogParam,
        EmptyResponse,
        "Set a write-once param of a run.",
    ),
    _post(
        "log_batch",
        f"{_RUNS}/log-batch",
        model_metrics.LogBatch,
        EmptyResponse,
        "Log metrics, params and tags to a run at once.",
    ),
    _post(
        "set_tag",
        f"{_RUNS}/set-tag",
        records.SetTag,
        EmptyResponse,
        "Set or overwrite a tag on a run.",
    ),
    _post(
        "delete_tag",
        f"{_RUNS}/delete-tag",
        records.DeleteTag,
        EmptyResponse,
        "Remove a tag from a run.",
    ),
    _post(
        "log_inputs",
        f"{_RUNS}/log-inputs",
        inputs.LogInputs,
        EmptyResponse,
        "Record datasets and models a run consumed.",
    ),
    _post(
        "log_outputs",
        f"{_RUNS}/outputs",
        inputs.LogOutputs,
        EmptyResponse,
        "Record models a run produced.",
    ),
    _get(
        "get_metric_history",
        "/mlflow/metrics/get-history",
        metrics.GetMetricHistory,
        metrics.GetMetricHistoryResponse,
        "Get every point of one metric of a run, one page at a time.",
    ),
    _get(
        "get_metric_history_bulk_interval",
        "/mlflow/metrics/get-history-bulk-interval",
        metrics.GetMetricHistoryBulkInterval,
        metrics.GetMetricHistoryBulkIntervalResponse,
        "Get one metric of several runs, downsampled for charts.",
    ),
    _get(
        "list_artifacts",
        "/mlflow/artifacts/list",
        artifacts.ListArtifacts,
        artifacts.ListArtifactsResponse,
        "List the files and folders in a folder of a run's artifacts.",
    ),
    _get(
        "list_deleted_runs",
        f"{_MAINTENANCE}/runs/list-deleted",
        maintenance.ListDeletedRuns,
        maintenance.ListDeletedRunsResponse,
        "List soft-deleted runs, optionally only those deleted at least older_than_ms ago.",
    ),
    _get(
        "list_deleted_experiments",
        f"{_MAINTENANCE}/experiments/list-deleted",
        maintenance.ListDeletedExperiments,
        maintenance.ListDeletedExperimentsResponse,
        "List soft-deleted experiments, optionally only those deleted long enough ago.",
    ),
    _post(
        "purge_run",
        f"{_MAINTENANCE}/runs/purge",
        maintenance.PurgeRun,
        EmptyResponse,
        "Permanently remove a soft-deleted run's records (Trackstone only).",
    ),
    _post(
        "purge_experiment",
        f"{_MAINTENANCE}/experiments/purge",
        maintenance.PurgeExperiment,
        EmptyResponse,
        "Permanently remove a soft-deleted experiment and its runs (Trackstone only).",
    ),
    _post(
        "create_logged_model",
        _MODELS,
        logged_models.CreateLoggedModel,
        logged_models.LoggedModelResponse,
        "Create a PENDING logged model (MLflow 3) in an experiment.",
    ),
    _post(
        "search_logged_models",
        f"{_MODELS}/search",
        logged_models.SearchLoggedModels,
        logged_models.SearchLoggedModelsResponse,
        "Search the logged models of experiments by filter, in order, one page at a time.",
    ),
    _get(
        "get_logged_model",
        _MODEL,
        logged_models.GetLoggedModel,
        logged_models.LoggedModelResponse,
        "Get a logged model by id.",
    ),
    Route(
        "finalize_logged_model",
        ("PATCH",),
        _MODEL,
        logged_models.FinalizeLoggedModel,
        logged_models.LoggedModelResponse,
        "Mark a logged model's upload READY or UPLOAD_FAILED.",
    ),
    Route(
        "delete_logged_model",
        ("DELETE",),
        _MODEL,
        logged_models.DeleteLoggedModel,
        EmptyResponse,
        "Soft-delete a logged model.",
    ),
    Route(
        "set_logged_model_tags",
        ("PATCH",),
        f"{_MODEL}/tags",
        logged_models.SetLoggedModelTags,
        logged_models.LoggedModelResponse,
        "Set or overwrite tags of a logged model.",
    ),
    Route(
        "delete_logged_model_tag",
        ("DELETE",),
        f"{_MODEL}/tags/{{tag_key}}",
        logged_models.DeleteLoggedModelTag,
        EmptyResponse,
        "Remove a tag from a logged model.",
    ),
    _post(
        "log_logged_model_params",
        f"{_MODEL}/params",
        logged_models.LogLoggedModelParams,
        EmptyResponse,
        "Set write-once params of a logged model.",
    ),
    Route(
        "get_server_info",
        ("GET",),
        "/mlflow/server-info",
        server_info.GetServerInfo,
        server_info.ServerInfoResponse,
        "Describe the server's set-up to MLflow 3 clients (no secrets).",
        api_version="3.0",
    ),
    *REGISTRY_ROUTES,
)

_BY_NAME = {route.name: route for route in ROUTES}


def route_named(name: str) -> Route:
    """Return the route whose handler is called ``name``. Raises KeyError."""
    return _BY_NAME[name]
