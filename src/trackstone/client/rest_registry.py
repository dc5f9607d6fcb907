"""RestRegistry: the RegistryStore protocol over a server's model registry routes.

A ``RestStore`` holds one as its ``registry`` attribute. Each method builds the request struct
of its row in ``trackstone.api.routes.ROUTES`` and sends it through the store's
``HttpClient``: GET requests in the query string, the others (PATCH and DELETE included, as
MLflow's client does) as JSON bodies. The registry routes are MLflow's, so the same calls work
against an MLflow server; lineage and monitoring use Trackstone's own routes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from trackstone.api.experiments import experiment_from_wire
from trackstone.api.messages import EmptyResponse, Request, Response
from trackstone.api.monitoring import (
    RUN_IDS_IN_USE_PER_CALL,
    GetModelVersionBaseline,
    GetModelVersionBaselineResponse,
    GetModelVersionLineage,
    GetProductionMetrics,
    GetProductionMetricsResponse,
    LogProductionMetrics,
    ModelVersionLineageResponse,
    RunIdsInUse,
    RunIdsInUseResponse,
    SetModelVersionBaseline,
    WireBaselineValue,
    baseline_from_wire,
    production_metric_to_wire,
)
from trackstone.api.records import WireTag
from trackstone.api.registry import (
    CreateModelVersion,
    CreateRegisteredModel,
    DeleteModelVersion,
    DeleteModelVersionTag,
    DeleteRegisteredModel,
    DeleteRegisteredModelAlias,
    DeleteRegisteredModelTag,
    GetLatestVersions,
    GetModelVersion,
    GetModelVersionByAlias,
    GetModelVersionDownloadUri,
    GetModelVersionDownloadUriResponse,
    GetRegisteredModel,
    ModelVersionResponse,
    ModelVersionsResponse,
    RegisteredModelResponse,
    RenameRegisteredModel,
    SearchModelVersions,
    SearchModelVersionsResponse,
    SearchRegisteredModels,
    SearchRegisteredModelsResponse,
    SetModelVersionTag,
    SetRegisteredModelAlias,
    SetRegisteredModelTag,
    TransitionModelVersionStage,
    UpdateModelVersion,
    UpdateRegisteredModel,
    WireModelVersion,
    WireRegisteredModel,
    model_version_from_wire,
    registered_model_from_wire,
)
from trackstone.api.runs import run_from_wire
from trackstone.api.scalars import wire_number
from trackstone.client.http import HttpClient
from trackstone.client.rest_calls import call_route
from trackstone.entities import PagedList
from trackstone.entities.registry import (
    Baseline,
    ModelVersion,
    ModelVersionLineage,
    ModelVersionStage,
    ModelVersionTag,
    ProductionMetric,
    RegisteredModel,
    RegisteredModelTag,
)
from trackstone.entities.validation import check_int64, check_max_results, check_metric_value
from trackstone.errors import InternalError, InvalidParameter
from trackstone.store.registry import (
    MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
    MODEL_VERSIONS_MAX_RESULTS_LIMIT,
    PRODUCTION_METRICS_MAX_RESULTS_LIMIT,
    REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
    check_production_batch,
    check_registered_models_max_results,
)

__all__ = ["RestRegistry"]

R = TypeVar("R", bound=Response)

# Calls whose repeat is not a no-op (a second create makes a second version or fails on the
# taken name; a repeated rename or delete fails on the gone name): retried only when the
# server cannot have acted on them. Setting a tag, an alias, a stage or a description twice
# leaves what once did, so those are retried like reads.
_UNSAFE_CALLS = frozenset(
    {
        "create_registered_model",
        "rename_registered_model",
        "delete_registered_model",
        "delete_registered_model_tag",
        "delete_registered_model_alias",
        "create_model_version",
        "delete_model_version",
        "delete_model_version_tag",
    }
)


class RestRegistry:
    """A ``RegistryStore`` whose registry lives on a tracking server.

    Args:
        http: the connection of the ``RestStore`` that holds it (shared pools and credentials).

    Example:
        >>> registry = RestStore("http://127.0.0.1:5000").registry
        >>> registry.create_registered_model("churn").name
        'churn'
    """

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"RestRegistry({self._http.base_url!r})"

    def _call(self, name: str, request: Request, response_type: type[R]) -> R:
        return call_route(self._http, name, request, response_type, safe=name not in _UNSAFE_CALLS)

    # -- registered models ---------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Sequence[RegisteredModelTag] = (),
        description: str = "",
        user_id: str = "",
    ) -> RegisteredModel:
        request = CreateRegisteredModel(
            name=name,
            tags=[WireTag(tag.key, tag.value) for tag in tags],
            description=description,
            user_id=user_id,
        )
        response = self._call("create_registered_model", request, RegisteredModelResponse)
        return _model(response.registered_model)

    def get_registered_model(self, name: str) -> RegisteredModel:
        request = GetRegisteredModel(name=name)
        response = self._call("get_registered_model", request, RegisteredModelResponse)
        return _model(response.registered_model)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        request = UpdateRegisteredModel(name=name, description=description)
        response = self._call("update_registered_model", request, RegisteredModelResponse)
        return _model(response.registered_model)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        request = RenameRegisteredModel(name=name, new_name=new_name)
        response = self._call("rename_registered_model", request, RegisteredModelResponse)
        return _model(response.registered_model)

    def delete_registered_model(self, name: str) -> None:
        self._call("delete_registered_model", DeleteRegisteredModel(name=name), EmptyResponse)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        check_registered_models_max_results(max_results)
        request = SearchRegisteredModels(
            filter_string=filter_string,
            max_results=max_results,
            order_by=list(order_by or ()),
            page_token=page_token,
        )
        response = self._call("search_registered_models", request, SearchRegisteredModelsResponse)
        return PagedList(
            [_model(wire) for wire in response.registered_models],
            token=response.next_page_token or None,
        )

    def get_latest_versions(
        self, name: str, stages: Sequence[ModelVersionStage | str] = ()
    ) -> list[ModelVersion]:
        request = GetLatestVersions(name=name, stages=[_stage_text(stage) for stage in stages])
        response = self._call("get_latest_versions", request, ModelVersionsResponse)
        return [model_version_from_wire(wire) for wire in response.model_versions]

    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None:
        request = SetRegisteredModelTag(name=name, key=tag.key, value=tag.value)
        self._call("set_registered_model_tag", request, EmptyResponse)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        request = DeleteRegisteredModelTag(name=name, key=key)
        self._call("delete_registered_model_tag", request, EmptyResponse)

    # -- aliases -------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        request = SetRegisteredModelAlias(name=name, alias=alias, version=_version(version))
        self._call("set_registered_model_alias", request, EmptyResponse)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        request = DeleteRegisteredModelAlias(name=name, alias=alias)
        self._call("delete_registered_model_alias", request, EmptyResponse)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        request = GetModelVersionByAlias(name=name, alias=alias)
        response = self._call("get_model_version_by_alias", request, ModelVersionResponse)
        return _version_of(response.model_version)

    # -- model versions ------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str = "",
        tags: Sequence[ModelVersionTag] = (),
        run_link: str = "",
        description: str = "",
        user_id: str = "",
        model_id: str = "",
    ) -> ModelVersion:
        request = CreateModelVersion(
            name=name,
            source=source,
            run_id=run_id,
            tags=[WireTag(tag.key, tag.value) for tag in tags],
            run_link=run_link,
            description=description,
            user_id=user_id,
            model_id=model_id,
        )
        response = self._call("create_model_version", request, ModelVersionResponse)
        return _version_of(response.model_version)

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        request = GetModelVersion(name=name, version=_version(version))
        response = self._call("get_model_version", request, ModelVersionResponse)
        return _version_of(response.model_version)

    def update_model_version(self, name: str, version: str | int, description: str) -> ModelVersion:
        request = UpdateModelVersion(name=name, version=_version(version), description=description)
        response = self._call("update_model_version", request, ModelVersionResponse)
        return _version_of(response.model_version)

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: ModelVersionStage | str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        request = TransitionModelVersionStage(
            name=name,
            version=_version(version),
            stage=_stage_text(stage),
            archive_existing_versions=archive_existing_versions,
        )
        response = self._call("transition_model_version_stage", request, ModelVersionResponse)
        return _version_of(response.model_version)

    def delete_model_version(self, name: str, version: str | int) -> None:
        request = DeleteModelVersion(name=name, version=_version(version))
        self._call("delete_model_version", request, EmptyResponse)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        request = GetModelVersionDownloadUri(name=name, version=_version(version))
        response = self._call(
            "get_model_version_download_uri", request, GetModelVersionDownloadUriResponse
        )
        return response.artifact_uri

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        check_max_results(max_results, MODEL_VERSIONS_MAX_RESULTS_LIMIT)
        request = SearchModelVersions(
            filter_string=filter_string,
            max_results=max_results,
            order_by=list(order_by or ()),
            page_token=page_token,
        )
        response = self._call("search_model_versions", request, SearchModelVersionsResponse)
        return PagedList(
            [model_version_from_wire(wire) for wire in response.model_versions],
            token=response.next_page_token or None,
        )

    def set_model_version_tag(self, name: str, version: str | int, tag: ModelVersionTag) -> None:
        request = SetModelVersionTag(
            name=name, version=_version(version), key=tag.key, value=tag.value
        )
        self._call("set_model_version_tag", request, EmptyResponse)

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        request = DeleteModelVersionTag(name=name, version=_version(version), key=key)
        self._call("delete_model_version_tag", request, EmptyResponse)

    def get_model_version_lineage(self, name: str, version: str | int) -> ModelVersionLineage:
        request = GetModelVersionLineage(name=name, version=_version(version))
        response = self._call("get_model_version_lineage", request, ModelVersionLineageResponse)
        return ModelVersionLineage(
            model_version=_version_of(response.model_version),
            run=None if response.run is None else run_from_wire(response.run),
            experiment=(
                None if response.experiment is None else experiment_from_wire(response.experiment)
            ),
        )

    def run_ids_in_use(self, run_ids: Sequence[str]) -> set[str]:
        wanted = sorted({run_id for run_id in run_ids if run_id})
        used: set[str] = set()
        for start in range(0, len(wanted), RUN_IDS_IN_USE_PER_CALL):
            request = RunIdsInUse(run_ids=wanted[start : start + RUN_IDS_IN_USE_PER_CALL])
            response = self._call("run_ids_in_use", request, RunIdsInUseResponse)
            used.update(response.run_ids)
        return used

    # -- production monitoring -----------------------------------------------------------

    def log_production_metrics(
        self, name: str, version: str | int, metrics: Sequence[ProductionMetric]
    ) -> None:
        check_production_batch(metrics)
        request = LogProductionMetrics(
            name=name,
            version=_version(version),
            metrics=[
                production_metric_to_wire(_checked_point(index, metric))
                for index, metric in enumerate(metrics)
            ],
        )
        self._call("log_production_metrics", request, EmptyResponse)

    def get_production_metrics(
        self,
        name: str,
        version: str | int,
        key: str | None = None,
        start_timestamp: int | None = None,
        end_timestamp: int | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[ProductionMetric]:
        if max_results is not None:
            check_max_results(max_results, PRODUCTION_METRICS_MAX_RESULTS_LIMIT)
            return self._production_page(
                name, version, key, start_timestamp, end_timestamp, max_results, page_token
            )
        points: list[ProductionMetric] = []
        token = page_token
        while True:
            page = self._production_page(
                name,
                version,
                key,
                start_timestamp,
                end_timestamp,
                PRODUCTION_METRICS_MAX_RESULTS_LIMIT,
                token,
            )
            points += page
            token = page.token
            if token is None:
                return PagedList(points)

    def _production_page(
        self,
        name: str,
        version: str | int,
        key: str | None,
        start_timestamp: int | None,
        end_timestamp: int | None,
        max_results: int,
        page_token: str | None,
    ) -> PagedList[ProductionMetric]:
        request = GetProductionMetrics(
            name=name,
            version=_version(version),
            key=key,
            start_timestamp=start_timestamp,
            end_timestamp=end_timestamp,
            max_results=max_results,
            page_token=page_token,
        )
        response = self._call("get_production_metrics", request, GetProductionMetricsResponse)
        return PagedList(
            [
                ProductionMetric(item.key, float(item.value), item.timestamp)
                for item in response.metrics
            ],
            token=response.next_page_token or None,
        )

    def set_model_version_baseline(
        self, name: str, version: str | int, metrics: Mapping[str, float]
    ) -> None:
        request = SetModelVersionBaseline(
            name=name,
            version=_version(version),
            metrics=[
                WireBaselineValue(key, wire_number(check_metric_value(f"metrics[{key!r}]", value)))
                for key, value in metrics.items()
            ],
        )
        self._call("set_model_version_baseline", request, EmptyResponse)

    def get_model_version_baseline(self, name: str, version: str | int) -> Baseline:
        request = GetModelVersionBaseline(name=name, version=_version(version))
        response = self._call(
            "get_model_version_baseline", request, GetModelVersionBaselineResponse
        )
        return baseline_from_wire(response)


def _version(version: str | int) -> str | int:
    """Return a version argument as sent: a string or an int (never a bool or a float)."""
    if isinstance(version, bool) or not isinstance(version, (str, int)):
        raise InvalidParameter(
            f"version: must be a string of digits or an integer, got {version!r}"
        )
    return version


def _checked_point(index: int, metric: ProductionMetric) -> ProductionMetric:
    """Return a point whose value and timestamp can be sent, else InvalidParameter naming them."""
    field = f"metrics[{index}]"
    return ProductionMetric(
        metric.key,
        check_metric_value(f"{field}.value", metric.value),
        check_int64(f"{field}.timestamp", metric.timestamp),
    )


def _stage_text(stage: ModelVersionStage | str) -> str:
    return stage.value if isinstance(stage, ModelVersionStage) else stage


def _model(wire: WireRegisteredModel | None) -> RegisteredModel:
    if wire is None:
        raise InternalError("unexpected response from server: no registered_model")
    return registered_model_from_wire(wire)


def _version_of(wire: WireModelVersion | None) -> ModelVersion:
    if wire is None:
        raise InternalError("unexpected response from server: no model_version")
    return model_version_from_wire(wire)
