"""RestStore: the TrackingStore protocol over a Trackstone (or MLflow) server's REST API.

Each method builds the request struct of its row in ``trackstone.api.routes.ROUTES``, sends
it through ``HttpClient`` (pooled, retried, authenticated) and decodes the answer with the
same ``trackstone.api`` structs the server encodes it with. Error answers come back as the
``TrackstoneError`` subclass they name, so callers catch the same types locally and remotely.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from trackstone.api import maintenance
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
    WireExperiment,
    experiment_from_wire,
)
from trackstone.api.inputs import LogInputs, dataset_input_to_wire
from trackstone.api.messages import EmptyResponse, Request, Response
from trackstone.api.metrics import (
    BULK_INTERVAL_MAX_RUN_IDS,
    GetMetricHistory,
    GetMetricHistoryBulkInterval,
    GetMetricHistoryBulkIntervalResponse,
    GetMetricHistoryResponse,
    metric_with_run_id_from_wire,
)
from trackstone.api.records import (
    DeleteTag,
    LogBatch,
    LogMetric,
    LogParam,
    SetTag,
    WireParam,
    WireTag,
    metric_to_wire,
)
from trackstone.api.runs import (
    CreateRun,
    CreateRunResponse,
    DeleteRun,
    GetRun,
    GetRunResponse,
    RestoreRun,
    SearchRuns,
    SearchRunsResponse,
    UpdateRun,
    UpdateRunResponse,
    WireRun,
    WireRunInfo,
    run_from_wire,
    run_info_from_wire,
)
from trackstone.api.scalars import INT32_MAX, INT32_MIN, run_status_name
from trackstone.client.http import Credentials, HttpClient, HttpOptions
from trackstone.client.rest_calls import call_route
from trackstone.client.rest_logged_models import RestLoggedModels
from trackstone.client.rest_registry import RestRegistry
from trackstone.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from trackstone.errors import InternalError, InvalidParameter, NotFound
from trackstone.store.base import (
    EXPERIMENTS_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_DEFAULT,
    MetricWithRunId,
)

if TYPE_CHECKING:
    from trackstone.config import Settings

__all__ = ["RestStore"]

R = TypeVar("R", bound=Response)

# Calls whose repeat is not a no-op: creating twice makes two, deleting twice fails. They are
# retried only when the server cannot have acted (see ``trackstone.client.http``).
_UNSAFE_CALLS = frozenset(
    {
        "create_experiment",
        "create_run",
        "delete_experiment",
        "restore_experiment",
        "delete_experiment_tag",
        "delete_tag",
        "purge_run",
        "purge_experiment",
    }
)


class RestStore:
    """A ``TrackingStore`` whose records live on a tracking server, reached over HTTP(S).

    Args:
        base_url: the server's address, e.g. ``http://127.0.0.1:5000`` (a path prefix such as
            ``https://host/tracking`` is kept).
        settings: where credentials come from (``tracking_token``, ``tracking_username``,
            ``tracking_password``) unless ``credentials`` is given.
        credentials: explicit credentials (override ``settings``).
        options: timeouts, retries and pool size.

    Attributes:
        logged_models: the server's MLflow 3 logged models (a ``LoggedModelStore``).
        registry: the server's model registry (a ``RegistryStore``).

    Raises:
        InvalidParameter: ``base_url`` is not an http(s) URL.

    Example:
        >>> store = RestStore("http://127.0.0.1:5000")
        >>> run = store.create_run(store.create_experiment("demo"))
        >>> store.log_metric(run.info.run_id, Metric("loss", 0.3, 1_700_000_000_000, 1))
    """

    def __init__(
        self,
        base_url: str,
        settings: Settings | None = None,
        *,
        credentials: Credentials | None = None,
        options: HttpOptions | None = None,
    ) -> None:
        if credentials is None and settings is not None:
            credentials = Credentials.from_settings(settings)
        self._http = HttpClient(base_url, credentials, options)
        self.logged_models = RestLoggedModels(self._http)
        self.registry = RestRegistry(self._http)

    @property
    def base_url(self) -> str:
        """The server's address, without a trailing slash."""
        return self._http.base_url

    def __repr__(self) -> str:
        return f"RestStore({self.base_url!r})"

    # -- transport ---------------------------------------------------------------------

    def _call(self, name: str, request: Request, response_type: type[R]) -> R:
        return call_route(self._http, name, request, response_type, safe=name not in _UNSAFE_CALLS)

    # -- experiments -------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
    ) -> str:
        request = CreateExperiment(
            name=name,
            artifact_location=artifact_location,
            tags=[WireTag(tag.key, tag.value) for tag in tags],
        )
        response = self._call("create_experiment", request, CreateExperimentResponse)
        if not response.experiment_id:
            raise InternalError("unexpected response from server: no experiment_id")
        return response.experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        request = GetExperiment(experiment_id=experiment_id)
        response = self._call("get_experiment", request, GetExperimentResponse)
        return _experiment(response.experiment)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        request = GetExperimentByName(experiment_name=name)
        try:
            response = self._call("get_experiment_by_name", request, GetExperimentResponse)
        except NotFound:
            return None
        return _experiment(response.experiment)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = EXPERIMENTS_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        request = SearchExperiments(
            max_results=max_results,
            page_token=page_token,
            filter_string=filter_string,
            order_by=list(order_by or ()),
            view_type=ViewType.parse(view_type).name,  # type: ignore[arg-type]
        )
        response = self._call("search_experiments", request, SearchExperimentsResponse)
        return PagedList(
            [experiment_from_wire(wire) for wire in response.experiments],
            token=response.next_page_token or None,
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        request = UpdateExperiment(experiment_id=experiment_id, new_name=new_name)
        self._call("update_experiment", request, EmptyResponse)

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        request = SetExperimentTag(experiment_id=experiment_id, key=tag.key, value=tag.value)
        self._call("set_experiment_tag", request, EmptyResponse)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        request = DeleteExperimentTag(experiment_id=experiment_id, key=key)
        self._call("delete_experiment_tag", request, EmptyResponse)

    def delete_experiment(self, experiment_id: str) -> None:
        self._call(
            "delete_experiment", DeleteExperiment(experiment_id=experiment_id), EmptyResponse
        )

    def restore_experiment(self, experiment_id: str) -> None:
        request = RestoreExperiment(experiment_id=experiment_id)
        self._call("restore_experiment", request, EmptyResponse)

    # -- runs --------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        user_id: str = "",
        start_time: int | None = None,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
    ) -> Run:
        request = CreateRun(
            experiment_id=experiment_id,
            user_id=user_id,
            run_name=run_name,
            start_time=start_time,
            tags=[WireTag(tag.key, tag.value) for tag in tags],
        )
        return _run(self._call("create_run", request, CreateRunResponse).run)

    def get_run(self, run_id: str) -> Run:
        return _run(self._call("get_run", GetRun(run_id=_existing(run_id)), GetRunResponse).run)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        request = UpdateRun(
            run_id=_existing(run_id),
            status=None if status is None else run_status_name(RunStatus(status)),
            end_time=end_time,
            run_name=run_name,
        )
        response = self._call("update_run", request, UpdateRunResponse)
        return _run_info(response.run_info)

    def delete_run(self, run_id: str) -> None:
        self._call("delete_run", DeleteRun(run_id=run_id), EmptyResponse)

    def restore_run(self, run_id: str) -> None:
        self._call("restore_run", RestoreRun(run_id=run_id), EmptyResponse)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        try:
            request = LogBatch(
                run_id=run_id,
                metrics=[metric_to_wire(metric) for metric in metrics],
                params=[WireParam(param.key, param.value) for param in params],
                tags=[WireTag(tag.key, tag.value) for tag in tags],
            )
        except ValueError as error:  # the struct's own size check, as the server would say
            raise InvalidParameter(str(error)) from None
        self._call("log_batch", request, EmptyResponse)

    def log_metric(self, run_id: str, metric: Metric) -> None:
        wire = metric_to_wire(metric)
        request = LogMetric(
            run_id=_existing(run_id),
            key=wire.key,
            value=wire.value,
            timestamp=wire.timestamp,
            step=wire.step,
        )
        self._call("log_metric", request, EmptyResponse)

    def log_param(self, run_id: str, param: Param) -> None:
        request = LogParam(run_id=_existing(run_id), key=param.key, value=param.value)
        self._call("log_param", request, EmptyResponse)

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self._call(
            "set_tag", SetTag(run_id=_existing(run_id), key=tag.key, value=tag.value), EmptyResponse
        )

    def delete_tag(self, run_id: str, key: str) -> None:
        self._call("delete_tag", DeleteTag(run_id=run_id, key=key), EmptyResponse)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        request = LogInputs(
            run_id=run_id, datasets=[dataset_input_to_wire(item) for item in datasets]
        )
        self._call("log_inputs", request, EmptyResponse)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        request = GetMetricHistory(
            run_id=_existing(run_id), metric_key=key, max_results=max_results, page_token=page_token
        )
        response = self._call("get_metric_history", request, GetMetricHistoryResponse)
        return PagedList(
            # Points the server read from its store are valid: not checked again (a third of
            # a 100,000-point read was the checks).
            [
                Metric.unchecked(wire.key, float(wire.value), wire.timestamp, wire.step)
                for wire in response.metrics
            ],
            token=response.next_page_token or None,
        )

    def get_metric_history_downsampled(
        self,
        run_ids: Sequence[str],
        key: str,
        max_points: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[MetricWithRunId]:
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
            raise InvalidParameter(f"max_points: must be a positive integer, got {max_points!r}")
        if start_step is not None and end_step is not None and start_step > end_step:
            raise InvalidParameter(
                f"start_step: must not exceed end_step, got {start_step} > {end_step}"
            )
        # The endpoint takes both step bounds or neither: an open end becomes the widest bound.
        if (start_step is None) != (end_step is None):
            start_step = INT32_MIN if start_step is None else start_step
            end_step = INT32_MAX if end_step is None else end_step
        unique = list(dict.fromkeys(run_ids))
        result: list[MetricWithRunId] = []
        for first in range(0, len(unique), BULK_INTERVAL_MAX_RUN_IDS):
            request = GetMetricHistoryBulkInterval(
                run_ids=unique[first : first + BULK_INTERVAL_MAX_RUN_IDS],
                metric_key=key,
                start_step=start_step,
                end_step=end_step,
                max_results=max_points,
            )
            response = self._call(
                "get_metric_history_bulk_interval", request, GetMetricHistoryBulkIntervalResponse
            )
            for wire in response.metrics:
                run_id, metric = metric_with_run_id_from_wire(wire)
                result.append(MetricWithRunId(run_id, metric))
        return result

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        request = SearchRuns(
            experiment_ids=list(experiment_ids),
            filter_string=filter_string,
            run_view_type=ViewType.parse(run_view_type).name,  # type: ignore[arg-type]
            max_results=max_results,
            order_by=list(order_by or ()),
            page_token=page_token,
        )
        response = self._call("search_runs", request, SearchRunsResponse)
        return PagedList(
            [run_from_wire(wire) for wire in response.runs],
            token=response.next_page_token or None,
        )

    # -- maintenance -------------------------------------------------------------------

    def list_deleted_runs(self, older_than_ms: int | None = None) -> list[RunInfo]:
        request = maintenance.ListDeletedRuns(older_than_ms=older_than_ms)
        response = self._call("list_deleted_runs", request, maintenance.ListDeletedRunsResponse)
        return [run_info_from_wire(wire) for wire in response.runs]

    def list_deleted_experiments(self, older_than_ms: int | None = None) -> list[Experiment]:
        request = maintenance.ListDeletedExperiments(older_than_ms=older_than_ms)
        response = self._call(
            "list_deleted_experiments", request, maintenance.ListDeletedExperimentsResponse
        )
        return [experiment_from_wire(wire) for wire in response.experiments]

    def purge_run(self, run_id: str) -> None:
        self._call("purge_run", maintenance.PurgeRun(run_id=run_id), EmptyResponse)

    def purge_experiment(self, experiment_id: str) -> None:
        request = maintenance.PurgeExperiment(experiment_id=experiment_id)
        self._call("purge_experiment", request, EmptyResponse)

    def close(self) -> None:
        self._http.close()


def _existing(run_id: str) -> str:
    """Return ``run_id``; an empty one names no run (and cannot be sent where one is required)."""
    if not run_id:
        raise NotFound(f"run {run_id!r} does not exist")
    return run_id


def _experiment(wire: WireExperiment | None) -> Experiment:
    if wire is None:
        raise InternalError("unexpected response from server: no experiment")
    return experiment_from_wire(wire)


def _run(wire: WireRun | None) -> Run:
    if wire is None:
        raise InternalError("unexpected response from server: no run")
    return run_from_wire(wire)


def _run_info(wire: WireRunInfo | None) -> RunInfo:
    if wire is None:
        raise InternalError("unexpected response from server: no run_info")
    return run_info_from_wire(wire)
