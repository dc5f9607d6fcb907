"""RestLoggedModels: the LoggedModelStore protocol over a server's logged-models routes.

A ``RestStore`` holds one as its ``logged_models`` attribute. Each method builds the request
struct of its row in ``trackstone.api.routes.ROUTES``, puts the model id (and tag key) into
the route's path, and sends it through the store's ``HttpClient``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from trackstone.api.inputs import LogInputs, LogOutputs, WireModelInput, WireModelOutput
from trackstone.api.logged_models import (
    CreateLoggedModel,
    DeleteLoggedModel,
    DeleteLoggedModelTag,
    FinalizeLoggedModel,
    GetLoggedModel,
    LoggedModelResponse,
    LoggedModelStatusValue,
    LogLoggedModelParams,
    SearchLoggedModels,
    SearchLoggedModelsResponse,
    SetLoggedModelTags,
    WireDatasetFilter,
    WireLoggedModel,
    WireOrderBy,
    model_metric_from_wire,
)
from trackstone.api.messages import EmptyResponse, Request, Response
from trackstone.api.model_metrics import LogBatch, WireModelMetric, model_metric_to_wire
from trackstone.api.records import WireParam, WireTag
from trackstone.api.scalars import wire_number
from trackstone.client.http import HttpClient
from trackstone.client.rest_calls import call_route
from trackstone.entities import Metric, PagedList, Param, RunTag
from trackstone.entities.logged_model import (
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelStatus,
)
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput
from trackstone.entities.validation import check_max_results
from trackstone.errors import InternalError, NotFound
from trackstone.search.logged_models import parse_logged_model_order_by
from trackstone.store.logged_models import (
    LOGGED_MODELS_MAX_RESULTS_DEFAULT,
    LOGGED_MODELS_MAX_RESULTS_LIMIT,
)

__all__ = ["RestLoggedModels"]

R = TypeVar("R", bound=Response)

# Calls whose repeat is not a no-op (a second create makes a second model; deleting a deleted
# model or a removed tag fails): retried only when the server cannot have acted on them.
_UNSAFE_CALLS = frozenset({"create_logged_model", "delete_logged_model", "delete_logged_model_tag"})
_DIRECTION = re.compile(r"^(?P<field>.*?)\s+(?P<direction>asc|desc)\s*$", re.IGNORECASE | re.DOTALL)


class RestLoggedModels:
    """A ``LoggedModelStore`` whose models live on a tracking server.

    Args:
        http: the connection of the ``RestStore`` that holds it (shared pools and credentials).

    Example:
        >>> models = RestStore("http://127.0.0.1:5000").logged_models
        >>> model = models.create_logged_model("1", name="clf")
        >>> models.finalize_logged_model(model.model_id, LoggedModelStatus.READY).status
        <LoggedModelStatus.READY: 'READY'>
    """

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"RestLoggedModels({self._http.base_url!r})"

    def _call(self, name: str, request: Request, response_type: type[R], **path_params: str) -> R:
        return call_route(
            self._http,
            name,
            request,
            response_type,
            safe=name not in _UNSAFE_CALLS,
            path_params=path_params,
        )

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        model_type: str | None = None,
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> LoggedModel:
        request = CreateLoggedModel(
            experiment_id=experiment_id,
            name=name,
            model_type=model_type,
            source_run_id=source_run_id,
            params=[WireParam(param.key, param.value) for param in params],
            tags=[WireTag(tag.key, tag.value) for tag in tags],
        )
        return _model(self._call("create_logged_model", request, LoggedModelResponse).model)

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        request = GetLoggedModel(model_id=_existing(model_id), allow_deleted=allow_deleted)
        response = self._call("get_logged_model", request, LoggedModelResponse, model_id=model_id)
        return _model(response.model)

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        request = FinalizeLoggedModel(
            model_id=_existing(model_id), status=_STATUS_NAMES[LoggedModelStatus.parse(status)]
        )
        response = self._call(
            "finalize_logged_model", request, LoggedModelResponse, model_id=model_id
        )
        return _model(response.model)

    def set_logged_model_tags(self, model_id: str, tags: Sequence[RunTag]) -> None:
        request = SetLoggedModelTags(
            model_id=_existing(model_id), tags=[WireTag(tag.key, tag.value) for tag in tags]
        )
        self._call("set_logged_model_tags", request, LoggedModelResponse, model_id=model_id)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        if not key:
            raise NotFound(f"logged model {model_id!r} has no tag {key!r}")
        request = DeleteLoggedModelTag(model_id=_existing(model_id), tag_key=key)
        self._call(
            "delete_logged_model_tag", request, EmptyResponse, model_id=model_id, tag_key=key
        )

    def log_logged_model_params(self, model_id: str, params: Sequence[Param]) -> None:
        request = LogLoggedModelParams(
            model_id=_existing(model_id),
            params=[WireParam(param.key, param.value) for param in params],
        )
        self._call("log_logged_model_params", request, EmptyResponse, model_id=model_id)

    def delete_logged_model(self, model_id: str) -> None:
        request = DeleteLoggedModel(model_id=_existing(model_id))
        self._call("delete_logged_model", request, EmptyResponse, model_id=model_id)

    def log_model_inputs(self, run_id: str, models: Sequence[LoggedModelInput]) -> None:
        request = LogInputs(
            run_id=run_id, models=[WireModelInput(model_id=m.model_id) for m in models]
        )
        self._call("log_inputs", request, EmptyResponse)

    def log_model_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        request = LogOutputs(
            run_id=run_id,
            models=[WireModelOutput(model_id=m.model_id, step=m.step) for m in models],
        )
        self._call("log_outputs", request, EmptyResponse)

    def log_model_metrics(
        self,
        run_id: str,
        metrics: Sequence[LoggedModelMetric],
        run_metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        # One log-batch, stored by the server in one transaction. A retried point is stored
        # once and a re-sent param value is a no-op, so the batch is safe to repeat.
        request = LogBatch(
            run_id=run_id,
            metrics=[
                *(
                    WireModelMetric(m.key, wire_number(m.value), m.timestamp, m.step)
                    for m in run_metrics
                ),
                *(model_metric_to_wire(item) for item in metrics),
            ],
            params=[WireParam(param.key, param.value) for param in params],
            tags=[WireTag(tag.key, tag.value) for tag in tags],
        )
        self._call("log_batch", request, EmptyResponse)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = LOGGED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        datasets: Sequence[DatasetFilter] = (),
    ) -> PagedList[LoggedModel]:
        check_max_results(max_results, LOGGED_MODELS_MAX_RESULTS_LIMIT)
        request = SearchLoggedModels(
            experiment_ids=list(experiment_ids),
            filter_string=filter_string,
            datasets=[
                WireDatasetFilter(dataset_name=d.dataset_name, dataset_digest=d.dataset_digest)
                for d in datasets
            ],
            max_results=max_results,
            order_by=_order_by_to_wire(order_by),
            page_token=page_token,
        )
        response = self._call("search_logged_models", request, SearchLoggedModelsResponse)
        return PagedList(
            [_model(wire) for wire in response.models], token=response.next_page_token or None
        )


_STATUS_NAMES: dict[LoggedModelStatus, LoggedModelStatusValue] = {
    LoggedModelStatus.UNSPECIFIED: "LOGGED_MODEL_STATUS_UNSPECIFIED",
    LoggedModelStatus.PENDING: "LOGGED_MODEL_PENDING",
    LoggedModelStatus.READY: "LOGGED_MODEL_READY",
    LoggedModelStatus.FAILED: "LOGGED_MODEL_UPLOAD_FAILED",
}


def _order_by_to_wire(items: Sequence[str] | None) -> list[WireOrderBy]:
    """Return ``"<field> [ASC|DESC]"`` items as the wire's ``{field_name, ascending}`` objects.

    Items are checked with the store's own parser first, so a bad one is refused with the
    message a local store gives; the field keeps the caller's spelling (quotes included).
    """
    keys = parse_logged_model_order_by(items)
    result = []
    for item, key in zip(items or (), keys, strict=True):
        match = _DIRECTION.match(item)
        field = match.group("field") if match else item
        result.append(WireOrderBy(field_name=field.strip(), ascending=key.ascending))
    return result


def _existing(model_id: str) -> str:
    """Return ``model_id``; an empty one names no model (and cannot be put into a path)."""
    if not model_id:
        raise NotFound(f"logged model {model_id!r} does not exist")
    return model_id


def _model(wire: WireLoggedModel | None) -> LoggedModel:
    """Return the logged model a response holds (the wire does not say whether it is deleted)."""
    if wire is None:
        raise InternalError("unexpected response from server: no model")
    info = wire.info
    return LoggedModel(
        model_id=info.model_id,
        experiment_id=info.experiment_id,
        name=info.name,
        artifact_location=info.artifact_uri,
        creation_timestamp_ms=info.creation_timestamp_ms or 0,
        last_updated_timestamp_ms=info.last_updated_timestamp_ms or 0,
        status=LoggedModelStatus.parse(info.status),
        status_message=info.status_message,
        model_type=info.model_type,
        source_run_id=info.source_run_id,
        tags={tag.key: tag.value for tag in info.tags},
        params={param.key: param.value for param in wire.data.params},
        metrics=tuple(model_metric_from_wire(item, info.model_id) for item in wire.data.metrics),
    )
