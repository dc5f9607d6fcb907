"""The ``TrackingStore`` protocol: everything a backend must do to hold experiments and runs.

``SqlStore`` (SQLite, PostgreSQL) and ``RestStore`` (a Trackstone or MLflow server) implement
it; the contract suite in ``tests/contract`` runs against each. Rules about state (run exists,
run active, name taken, param already set to another value) are enforced here, in the store,
because only the store can see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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

__all__ = ["BulkMetricStore", "MetricPoint", "MetricWithRunId", "TrackingStore"]

SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_LIMIT = 50_000
EXPERIMENTS_MAX_RESULTS_DEFAULT = 1000
METRIC_HISTORY_MAX_RESULTS_LIMIT = 1_000_000


@dataclass(frozen=True)
class MetricWithRunId:
    """A metric point tagged with the run it belongs to (bulk and downsampled history)."""

    run_id: str
    metric: Metric


# A metric point as (key, value, timestamp, step), already valid (it was a ``Metric``).
MetricPoint = tuple[str, float, int, int]


@runtime_checkable
class BulkMetricStore(Protocol):
    """An optional capability of a store: bulk ingestion of already-valid metric points.

    The client's background sender uses it when the store has it (``SqlStore`` does;
    ``RestStore`` does not: the wire has only log-batch). Unlike ``log_batch`` it has no size
    limit and takes plain tuples, so nothing is built or validated again per point.
    """

    def log_metric_rows(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        """Store ``points`` of an active run atomically; a point already stored is skipped.

        Raises NotFound / InvalidState like ``log_batch``.
        """
        ...


@runtime_checkable
class TrackingStore(Protocol):
    """Stores experiments and runs. Every method raises ``TrackstoneError`` subclasses only."""

    # -- experiments -------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
    ) -> str:
        """Create an experiment and return its id. Raises AlreadyExists if the name is taken."""
        ...

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return the experiment (active or deleted). Raises NotFound."""
        ...

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this exact name, or None."""
        ...

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = EXPERIMENTS_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Return one page of experiments matching the filter, in ``order_by`` order.

        Default order: last_update_time DESC, experiment_id ASC.
        """
        ...

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment. Raises AlreadyExists, NotFound, InvalidState."""
        ...

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        """Set (or overwrite) a tag on an active experiment."""
        ...

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment. Raises NotFound if it has no such tag."""
        ...

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs (restorable until gc)."""
        ...

    def restore_experiment(self, experiment_id: str) -> None:
        """Bring a soft-deleted experiment and the runs deleted with it back."""
        ...

    # -- runs --------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        user_id: str = "",
        start_time: int | None = None,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
    ) -> Run:
        """Create a RUNNING run in an active experiment; a missing name is generated."""
        ...

    def get_run(self, run_id: str) -> Run:
        """Return the run with its latest metrics, params, tags and inputs. Raises NotFound."""
        ...

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time and/or name; returns the updated info."""
        ...

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        ...

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        ...

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Store metrics, params and tags atomically: all or nothing.

        Re-sending identical points or param values is a no-op (so retries never duplicate);
        a param already set to a different value raises InvalidParameter naming the key,
        the old and the new value. Logging to a deleted run raises InvalidState.
        """
        ...

    def log_metric(self, run_id: str, metric: Metric) -> None:
        """Store one metric point (``log_batch`` of one)."""
        ...

    def log_param(self, run_id: str, param: Param) -> None:
        """Store one param (``log_batch`` of one)."""
        ...

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        """Set one tag (``log_batch`` of one)."""
        ...

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run. Raises NotFound if it has no such tag."""
        ...

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Record datasets the run consumed (idempotent per dataset and context)."""
        ...

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """Return a page of every point of a metric, ordered by step, then timestamp."""
        ...

    def get_metric_history_downsampled(
        self,
        run_ids: Sequence[str],
        key: str,
        max_points: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[MetricWithRunId]:
        """Return at most about ``max_points`` points per run for charts.

        Steps are cut into equal buckets; each bucket keeps its first and last point and
        the points holding its minimum and maximum value, so spikes stay visible.
        Ordered by run (in ``run_ids`` order), then step, then timestamp.
        """
        ...

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Return one page of runs matching the filter in the given experiments.

        Default order: start_time DESC, then run_id. Page tokens visit every run that
        existed when the first page was read exactly once, even while new runs are created.
        """
        ...

    # -- maintenance -------------------------------------------------------------------

    def list_deleted_runs(self, older_than_ms: int | None = None) -> list[RunInfo]:
        """Return soft-deleted runs (deleted at least ``older_than_ms`` ago when given)."""
        ...

    def list_deleted_experiments(self, older_than_ms: int | None = None) -> list[Experiment]:
        """Return soft-deleted experiments (deleted at least ``older_than_ms`` ago)."""
        ...

    def purge_run(self, run_id: str) -> None:
        """Permanently remove a soft-deleted run's records. Raises InvalidState if active."""
        ...

    def purge_experiment(self, experiment_id: str) -> None:
        """Permanently remove a soft-deleted experiment and all its runs; frees its name."""
        ...

    def close(self) -> None:
        """Release connections and background resources."""
        ...
