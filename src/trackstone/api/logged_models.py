"""Logged models (MLflow 3) on the wire: their JSON shape, requests and responses.

Paths carry the model id (``/mlflow/logged-models/{model_id}``); the server fills ``model_id``
(and ``tag_key``) of a request from its path, so they are optional in the bodies.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from trackstone.api.messages import Request, Response
from trackstone.api.model_metrics import WireModelMetric, model_metric_to_wire
from trackstone.api.records import WireParam, WireTag
from trackstone.api.scalars import Int64
from trackstone.entities import Metric
from trackstone.entities.logged_model import (
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelStatus,
)
from trackstone.errors import InvalidParameter
from trackstone.store.logged_models import LOGGED_MODELS_MAX_RESULTS_LIMIT

__all__ = [
    "CreateLoggedModel",
    "DeleteLoggedModel",
    "DeleteLoggedModelTag",
    "FinalizeLoggedModel",
    "GetLoggedModel",
    "LogLoggedModelParams",
    "LoggedModelResponse",
    "LoggedModelStatusValue",
    "SearchLoggedModels",
    "SearchLoggedModelsResponse",
    "SetLoggedModelTags",
    "WireLoggedModel",
    "WireLoggedModelData",
    "WireLoggedModelInfo",
    "logged_model_status",
    "logged_model_to_wire",
    "model_metric_from_wire",
]

LoggedModelStatusValue = Literal[
    "LOGGED_MODEL_STATUS_UNSPECIFIED",
    "LOGGED_MODEL_PENDING",
    "LOGGED_MODEL_READY",
    "LOGGED_MODEL_UPLOAD_FAILED",
    0,
    1,
    2,
    3,
]
_STATUS_NAMES: dict[LoggedModelStatus, LoggedModelStatusValue] = {
    LoggedModelStatus.UNSPECIFIED: "LOGGED_MODEL_STATUS_UNSPECIFIED",
    LoggedModelStatus.PENDING: "LOGGED_MODEL_PENDING",
    LoggedModelStatus.READY: "LOGGED_MODEL_READY",
    LoggedModelStatus.FAILED: "LOGGED_MODEL_UPLOAD_FAILED",
}


class WireRegistration(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A registered model version made from the model."""

    name: str = ""
    version: str = ""


class WireLoggedModelInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Everything about a model but its params and metrics; ``artifact_uri`` holds its files."""

    model_id: str = ""
    experiment_id: str = ""
    name: str = ""
    creation_timestamp_ms: Int64 | None = None
    last_updated_timestamp_ms: Int64 | None = None
    artifact_uri: str = ""
    status: LoggedModelStatusValue = "LOGGED_MODEL_STATUS_UNSPECIFIED"
    model_type: str = ""
    source_run_id: str = ""
    status_message: str = ""
    tags: list[WireTag] = msgspec.field(default_factory=list)
    registrations: list[WireRegistration] = msgspec.field(default_factory=list)


class WireLoggedModelData(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A model's params and the metrics logged against it."""

    params: list[WireParam] = msgspec.field(default_factory=list)
    metrics: list[WireModelMetric] = msgspec.field(default_factory=list)


class WireLoggedModel(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``{"info": ..., "data": ...}``."""

    info: WireLoggedModelInfo = msgspec.field(default_factory=WireLoggedModelInfo)
    data: WireLoggedModelData = msgspec.field(default_factory=WireLoggedModelData)


class CreateLoggedModel(Request, kw_only=True, frozen=True):
    """POST logged-models: create a PENDING model in an experiment."""

    experiment_id: str
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[WireParam] = msgspec.field(default_factory=list)
    tags: list[WireTag] = msgspec.field(default_factory=list)


class LoggedModelResponse(Response, kw_only=True):
    """One model."""

    model: WireLoggedModel | None = None


class GetLoggedModel(Request, kw_only=True, frozen=True):
    """GET logged-models/{model_id}: a model (a deleted one only with ``allow_deleted``)."""

    model_id: str = ""
    allow_deleted: bool = False


class FinalizeLoggedModel(Request, kw_only=True, frozen=True):
    """PATCH logged-models/{model_id}: mark a model's upload READY or UPLOAD_FAILED."""

    model_id: str = ""
    status: LoggedModelStatusValue


class DeleteLoggedModel(Request, kw_only=True, frozen=True):
    """DELETE logged-models/{model_id}: soft-delete a model."""

    model_id: str = ""


class SetLoggedModelTags(Request, kw_only=True, frozen=True):
    """PATCH logged-models/{model_id}/tags: set or overwrite tags of a model."""

    model_id: str = ""
    tags: list[WireTag] = msgspec.field(default_factory=list)


class DeleteLoggedModelTag(Request, kw_only=True, frozen=True):
    """DELETE logged-models/{model_id}/tags/{tag_key}: remove a tag of a model."""

    model_id: str = ""
    tag_key: str = ""


class LogLoggedModelParams(Request, kw_only=True, frozen=True):
    """POST logged-models/{model_id}/params: set write-once params of a model."""

    model_id: str = ""
    params: list[WireParam] = msgspec.field(default_factory=list)


class WireDatasetFilter(msgspec.Struct, kw_only=True, frozen=True):
    """A dataset whose metric points a search considers (any digest when none is given)."""

    dataset_name: str
    dataset_digest: str | None = None


class WireOrderBy(msgspec.Struct, kw_only=True, frozen=True):
    """One ordering key of a model search, e.g. ``{"field_name": "name", "ascending": true}``."""

    field_name: str
    ascending: bool = True
    dataset_name: str | None = None
    dataset_digest: str | None = None


class SearchLoggedModels(Request, kw_only=True, frozen=True):
    """POST logged-models/search: a page of the models of experiments matching a filter."""

    experiment_ids: list[str] = msgspec.field(default_factory=list)
    filter_string: str | None = msgspec.field(default=None, name="filter")
    datasets: list[WireDatasetFilter] = msgspec.field(default_factory=list)
    max_results: Annotated[int, msgspec.Meta(ge=1, le=LOGGED_MODELS_MAX_RESULTS_LIMIT)] | None = (
        None
    )
    order_by: list[WireOrderBy] = msgspec.field(default_factory=list)
    page_token: str | None = None

    def dataset_filters(self) -> list[DatasetFilter]:
        """The datasets as the store takes them; a blank name raises InvalidParameter."""
        result = []
        for index, item in enumerate(self.datasets):
            try:
                result.append(DatasetFilter(item.dataset_name, item.dataset_digest or None))
            except InvalidParameter as error:
                raise InvalidParameter(f"datasets[{index}].{error.message}") from None
        return result

    def order_by_items(self) -> list[str]:
        """The ordering as ``"<field> ASC|DESC"`` items for the store."""
        return [
            f"{item.field_name} {'ASC' if item.ascending else 'DESC'}" for item in self.order_by
        ]


class SearchLoggedModelsResponse(Response, kw_only=True):
    """A page of models and the token of the next page (absent at the end)."""

    models: list[WireLoggedModel] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


def logged_model_status(value: LoggedModelStatusValue) -> LoggedModelStatus:
    """Return the status a wire value names."""
    return LoggedModelStatus.parse(value)


def logged_model_to_wire(model: LoggedModel) -> WireLoggedModel:
    """Return the wire form of a logged model."""
    return WireLoggedModel(
        info=WireLoggedModelInfo(
            model_id=model.model_id,
            experiment_id=model.experiment_id,
            name=model.name,
            creation_timestamp_ms=model.creation_timestamp_ms,
            last_updated_timestamp_ms=model.last_updated_timestamp_ms,
            artifact_uri=model.artifact_location,
            status=_STATUS_NAMES[model.status],
            model_type=model.model_type,
            source_run_id=model.source_run_id,
            status_message=model.status_message,
            tags=[WireTag(key, value) for key, value in model.tags.items()],
        ),
        data=WireLoggedModelData(
            params=[WireParam(key, value) for key, value in model.params.items()],
            metrics=[model_metric_to_wire(item) for item in model.metrics],
        ),
    )


def model_metric_from_wire(wire: WireModelMetric, model_id: str) -> LoggedModelMetric:
    """Return the point a ``data.metrics`` entry of the model ``model_id`` describes."""
    return LoggedModelMetric(
        wire.model_id or model_id,
        Metric(wire.key, float(wire.value), wire.timestamp, wire.step),
        dataset_name=wire.dataset_name or None,
        dataset_digest=wire.dataset_digest or None,
        run_id=wire.run_id or "",
    )
