"""The model registry's rows of the ROUTES table: MLflow's registry API and Trackstone's extras.

Methods follow MLflow's ``model_registry.proto``: reads are GET (get-latest-versions also
POST), updates PATCH, deletes DELETE (MLflow clients send their JSON bodies with PATCH and
DELETE too; the server also reads the query string when there is no body). The lineage and
monitoring endpoints are Trackstone's own, under ``/trackstone/model-versions``.
"""

from __future__ import annotations

from trackstone.api import monitoring, registry
from trackstone.api.messages import EmptyResponse, Request, Response
from trackstone.api.route import Route

__all__ = ["REGISTRY_ROUTES"]

_MODELS = "/mlflow/registered-models"
_VERSIONS = "/mlflow/model-versions"
_TRACKSTONE = "/trackstone/model-versions"


def _row(
    name: str,
    method: str,
    path: str,
    request: type[Request],
    response: type[Response],
    summary: str,
) -> Route:
    return Route(name, tuple(method.split("|")), path, request, response, summary)


REGISTRY_ROUTES: tuple[Route, ...] = (
    _row(
        "create_registered_model",
        "POST",
        f"{_MODELS}/create",
        registry.CreateRegisteredModel,
        registry.RegisteredModelResponse,
        "Create a registered model with a unique name and no versions.",
    ),
    _row(
        "get_registered_model",
        "GET",
        f"{_MODELS}/get",
        registry.GetRegisteredModel,
        registry.RegisteredModelResponse,
        "Get a registered model with its tags, aliases and newest version per stage.",
    ),
    _row(
        "rename_registered_model",
        "POST",
        f"{_MODELS}/rename",
        registry.RenameRegisteredModel,
        registry.RegisteredModelResponse,
        "Rename a registered model; its versions follow.",
    ),
    _row(
        "update_registered_model",
        "PATCH",
        f"{_MODELS}/update",
        registry.UpdateRegisteredModel,
        registry.RegisteredModelResponse,
        "Set a registered model's description.",
    ),
    _row(
        "delete_registered_model",
        "DELETE",
        f"{_MODELS}/delete",
        registry.DeleteRegisteredModel,
        EmptyResponse,
        "Delete a registered model with all its versions.",
    ),
    _row(
        "search_registered_models",
        "GET",
        f"{_MODELS}/search",
        registry.SearchRegisteredModels,
        registry.SearchRegisteredModelsResponse,
        "Search registered models by filter, in order, one page at a time.",
    ),
    _row(
        "get_latest_versions",
        "POST|GET",
        f"{_MODELS}/get-latest-versions",
        registry.GetLatestVersions,
        registry.ModelVersionsResponse,
        "Get the newest version of each stage asked (of every stage when none is).",
    ),
    _row(
        "set_registered_model_tag",
        "POST",
        f"{_MODELS}/set-tag",
        registry.SetRegisteredModelTag,
        EmptyResponse,
        "Set or overwrite a tag of a registered model.",
    ),
    _row(
        "delete_registered_model_tag",
        "DELETE",
        f"{_MODELS}/delete-tag",
        registry.DeleteRegisteredModelTag,
        EmptyResponse,
        "Remove a tag from a registered model.",
    ),
    _row(
        "set_registered_model_alias",
        "POST",
        f"{_MODELS}/alias",
        registry.SetRegisteredModelAlias,
        EmptyResponse,
        "Point an alias of a registered model at one of its versions.",
    ),
    _row(
        "delete_registered_model_alias",
        "DELETE",
        f"{_MODELS}/alias",
        registry.DeleteRegisteredModelAlias,
        EmptyResponse,
        "Remove an alias of a registered model.",
    ),
    _row(
        "get_model_version_by_alias",
        "GET",
        f"{_MODELS}/alias",
        registry.GetModelVersionByAlias,
        registry.ModelVersionResponse,
        "Get the model version an alias points at.",
    ),
    _row(
        "create_model_version",
        "POST",
        f"{_VERSIONS}/create",
        registry.CreateModelVersion,
        registry.ModelVersionResponse,
        "Create the next version of a registered model from a runs:/, models:/ or artifact URI.",
    ),
    _row(
        "get_model_version",
        "GET",
        f"{_VERSIONS}/get",
        registry.GetModelVersion,
        registry.ModelVersionResponse,
        "Get one model version.",
    ),
    _row(
        "update_model_version",
        "PATCH",
        f"{_VERSIONS}/update",
        registry.UpdateModelVersion,
        registry.ModelVersionResponse,
        "Set a model version's description.",
    ),
    _row(
        "delete_model_version",
        "DELETE",
        f"{_VERSIONS}/delete",
        registry.DeleteModelVersion,
        EmptyResponse,
        "Delete a model version; its number is never reused.",
    ),
    _row(
        "search_model_versions",
        "GET",
        f"{_VERSIONS}/search",
        registry.SearchModelVersions,
        registry.SearchModelVersionsResponse,
        "Search model versions by filter, in order, one page at a time.",
    ),
    _row(
        "set_model_version_tag",
        "POST",
        f"{_VERSIONS}/set-tag",
        registry.SetModelVersionTag,
        EmptyResponse,
        "Set or overwrite a tag of a model version.",
    ),
    _row(
        "delete_model_version_tag",
        "DELETE",
        f"{_VERSIONS}/delete-tag",
        registry.DeleteModelVersionTag,
        EmptyResponse,
        "Remove a tag from a model version.",
    ),
    _row(
        "transition_model_version_stage",
        "POST",
        f"{_VERSIONS}/transition-stage",
        registry.TransitionModelVersionStage,
        registry.ModelVersionResponse,
        "Move a model version to a stage, optionally archiving the others in it.",
    ),
    _row(
        "get_model_version_download_uri",
        "GET",
        f"{_VERSIONS}/get-download-uri",
        registry.GetModelVersionDownloadUri,
        registry.GetModelVersionDownloadUriResponse,
        "Get the artifact URI a model version's files are read from.",
    ),
    _row(
        "get_model_version_lineage",
        "GET",
        f"{_TRACKSTONE}/lineage",
        monitoring.GetModelVersionLineage,
        monitoring.ModelVersionLineageResponse,
        "Get a model version with its source run and experiment in one call (Trackstone only).",
    ),
    _row(
        "run_ids_in_use",
        "POST",
        f"{_TRACKSTONE}/run-ids-in-use",
        monitoring.RunIdsInUse,
        monitoring.RunIdsInUseResponse,
        "Tell which of some runs a model version still needs, for gc (Trackstone only).",
    ),
    _row(
        "log_production_metrics",
        "POST",
        f"{_TRACKSTONE}/production-metrics/log",
        monitoring.LogProductionMetrics,
        EmptyResponse,
        "Append values observed in production to a model version (Trackstone only).",
    ),
    _row(
        "get_production_metrics",
        "GET",
        f"{_TRACKSTONE}/production-metrics/get",
        monitoring.GetProductionMetrics,
        monitoring.GetProductionMetricsResponse,
        "Get a model version's production values, oldest first (Trackstone only).",
    ),
    _row(
        "set_model_version_baseline",
        "POST",
        f"{_TRACKSTONE}/baseline/set",
        monitoring.SetModelVersionBaseline,
        EmptyResponse,
        "Replace a model version's explicit baseline; empty clears it (Trackstone only).",
    ),
    _row(
        "get_model_version_baseline",
        "GET",
        f"{_TRACKSTONE}/baseline/get",
        monitoring.GetModelVersionBaseline,
        monitoring.GetModelVersionBaselineResponse,
        "Get a model version's baseline and where it comes from (Trackstone only).",
    ),
    _row(
        "check_model_version",
        "POST",
        f"{_TRACKSTONE}/check",
        monitoring.CheckModelVersion,
        monitoring.CheckModelVersionResponse,
        "Judge a model version's production values against its baseline (Trackstone only).",
    ),
)
