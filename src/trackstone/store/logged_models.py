"""The ``LoggedModelStore`` protocol: MLflow 3 logged models, held beside a TrackingStore.

A store that keeps logged models exposes one as its ``logged_models`` attribute
(``SqlStore.logged_models``); ``logged_models_of(store)`` returns it or refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from trackstone.entities import Metric, PagedList, Param, RunTag
from trackstone.entities.logged_model import (
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelStatus,
)
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput
from trackstone.errors import NotFound

__all__ = [
    "LOGGED_MODELS_MAX_RESULTS_DEFAULT",
    "LOGGED_MODELS_MAX_RESULTS_LIMIT",
    "LoggedModelStore",
    "logged_models_of",
]

LOGGED_MODELS_MAX_RESULTS_DEFAULT = 100
LOGGED_MODELS_MAX_RESULTS_LIMIT = 10_000


@runtime_checkable
class LoggedModelStore(Protocol):
    """Stores logged models. Every method raises ``TrackstoneError`` subclasses only."""

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        model_type: str | None = None,
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> LoggedModel:
        """Create a PENDING model in an active experiment; a missing name is generated.

        Its artifact location is ``<experiment artifact location>/models/<model_id>/artifacts``.
        Raises NotFound (experiment or source run), InvalidState (experiment deleted).
        """
        ...

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        """Return a model. Raises NotFound (also for a deleted one unless ``allow_deleted``)."""
        ...

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        """Set a model's status (READY or FAILED once its files are up); return the model."""
        ...

    def set_logged_model_tags(self, model_id: str, tags: Sequence[RunTag]) -> None:
        """Set (or overwrite) tags of a model."""
        ...

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag from a model. Raises NotFound if it has no such tag."""
        ...

    def log_logged_model_params(self, model_id: str, params: Sequence[Param]) -> None:
        """Set write-once params; re-sending a value is a no-op, changing one InvalidParameter."""
        ...

    def delete_logged_model(self, model_id: str) -> None:
        """Soft-delete a model (``get_logged_model(..., allow_deleted=True)`` still finds it)."""
        ...

    def log_model_inputs(self, run_id: str, models: Sequence[LoggedModelInput]) -> None:
        """Record models an active run consumed (``Run.inputs.model_inputs``), each once.

        Any model id is accepted, as MLflow does. Raises NotFound (run), InvalidState (run
        deleted).
        """
        ...

    def log_model_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record models an active run produced (``Run.outputs.model_outputs``), each once.

        Any model id is accepted; a model recorded again keeps its first step. Raises
        NotFound (run), InvalidState (run deleted).
        """
        ...

    def log_model_metrics(
        self,
        run_id: str,
        metrics: Sequence[LoggedModelMetric],
        run_metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Append points to an active run's metrics and record each against its model.

        What MLflow 3's ``log_metric(key, value, model_id=..., dataset=...)`` stores: the
        point is one of the run's metric points, and it is listed in the model's ``metrics``
        (with this run's id). ``run_metrics``, ``params`` and ``tags`` (the rest of a
        log-batch) are stored with them, as ``TrackingStore.log_batch`` stores them. All or
        nothing; a retried point is stored once. Raises NotFound (run, or a model id no model
        has), InvalidState (run deleted), InvalidParameter.
        """
        ...

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = LOGGED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        datasets: Sequence[DatasetFilter] = (),
    ) -> PagedList[LoggedModel]:
        """Return one page of the active models of these experiments matching the filter.

        The filter names ``name``, ``model_id``, ``model_type``, ``status``,
        ``source_run_id``, ``creation_timestamp``, ``last_updated_timestamp``, ``tags.<key>``,
        ``params.<key>`` and ``metrics.<key>`` (true when any point of the model's metric
        satisfies it); ``order_by`` items such as ``"name ASC"`` or ``"metrics.acc DESC"``
        (a metric by its latest point). Default order: creation_timestamp DESC, then model_id.
        With ``datasets``, metric comparisons see only points logged on one of them, and a
        filter without metric comparisons keeps only models with such a point.
        """
        ...


def logged_models_of(store: object) -> LoggedModelStore:
    """Return the logged model store a tracking store holds.

    Raises:
        NotFound: the store keeps no logged models.
    """
    models = getattr(store, "logged_models", None)
    if not isinstance(models, LoggedModelStore):
        raise NotFound(f"{type(store).__name__} keeps no logged models")
    return models
