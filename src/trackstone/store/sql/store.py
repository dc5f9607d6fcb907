"""``SqlStore``: the TrackingStore on SQLite and PostgreSQL, delegating to one module per concern.

Example:
    >>> store = SqlStore("sqlite:///tmp/trackstone.db", artifact_root="/tmp/artifacts")
    >>> experiment_id = store.create_experiment("demo")
    >>> run = store.create_run(experiment_id)
    >>> store.log_metric(run.info.run_id, Metric("loss", 0.3, timestamp=0, step=1))
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from trackstone.clock import Clock, SystemClock
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
from trackstone.store.base import (
    EXPERIMENTS_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_DEFAULT,
    MetricPoint,
    MetricWithRunId,
)
from trackstone.store.sql.batches import BatchWriter
from trackstone.store.sql.datasets import InputWriter
from trackstone.store.sql.engine import Database, PoolOptions
from trackstone.store.sql.experiment_search import ExperimentSearch
from trackstone.store.sql.experiment_stats import SqlExperimentStats
from trackstone.store.sql.experiments import ExperimentRepository
from trackstone.store.sql.history import HistoryReader
from trackstone.store.sql.logged_models import SqlLoggedModels
from trackstone.store.sql.migrate import check_current, migrate_database
from trackstone.store.sql.registry import SqlRegistry
from trackstone.store.sql.run_search import RunSearch
from trackstone.store.sql.runs import RunRepository
from trackstone.store.sql.search import SqlSearch
from trackstone.store.sql.upserts import Upserts

__all__ = ["SqlStore"]


class SqlStore:
    """A ``TrackingStore`` over SQLAlchemy Core.

    Args:
        uri: ``sqlite:///<absolute path>`` or ``postgresql://user@host:port/db``.
        artifact_root: where new experiments put artifacts by default (path or URI).
        clock: the time source for creation, update and deletion times.
        upgrade: apply pending schema migrations on open (default); when False, a schema
            that is behind raises ``InvalidState`` telling to run ``trackstone db upgrade``.
        pool: the database connection pool (None: the engine's defaults).
        checkpoint_interval_s: for a SQLite file, checkpoint its write-ahead log this often
            from a thread of its own, so that commits do not (see ``checkpoint.py``).

    Raises:
        InvalidParameter: for an unsupported URI.
        ServiceUnavailable: when the database cannot be reached.

    Its ``logged_models`` attribute is the ``LoggedModelStore`` of MLflow 3 logged models and
    its ``registry`` attribute the ``RegistryStore`` of the model registry.
    """

    def __init__(
        self,
        uri: str,
        artifact_root: str,
        clock: Clock | None = None,
        *,
        upgrade: bool = True,
        pool: PoolOptions | None = None,
        checkpoint_interval_s: float | None = None,
    ) -> None:
        self.uri = uri
        self.artifact_root = artifact_root
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._db = Database(uri, pool, checkpoint_interval_s=checkpoint_interval_s)
        try:
            if upgrade:
                migrate_database(self._db)
            else:
                check_current(self._db)
            upserts = Upserts(self._db.dialect)
            compiler = SqlSearch(self._db.dialect)
            self._experiments = ExperimentRepository(self._db, self._clock, artifact_root)
            self._experiments.ensure_default()
            self._runs = RunRepository(self._db, self._clock)
            self._batches = BatchWriter(self._db, upserts)
            self._inputs = InputWriter(self._db, upserts)
            self._history = HistoryReader(self._db)
            self._run_search = RunSearch(self._db, compiler)
            self._experiment_search = ExperimentSearch(self._db, compiler)
            self.logged_models = SqlLoggedModels(self._db, self._clock)
            self.registry = SqlRegistry(self._db, self._clock)
            self.experiment_stats = SqlExperimentStats(self._db)
        except BaseException:
            self._db.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlStore({self._db.engine.url.render_as_string(hide_password=True)!r})"

    def no_wait(self) -> AbstractContextManager[None] | None:
        """Return a block in which calls never wait for a lock or a connection, or None.

        Inside it, a call that would wait raises ``ServiceUnavailable`` at once, having changed
        nothing. None where that cannot be promised (PostgreSQL, in-memory SQLite).
        """
        return self._db.no_wait() if self._db.can_skip_waits else None

    # -- experiments -------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
    ) -> str:
        return self._experiments.create(name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._experiments.get(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._experiments.get_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = EXPERIMENTS_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        return self._experiment_search.search(
            view_type, max_results, filter_string, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._experiments.rename(experiment_id, new_name)

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        self._experiments.set_tag(experiment_id, tag)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._experiments.delete_tag(experiment_id, key)

    def delete_experiment(self, experiment_id: str) -> None:
        self._experiments.delete(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._experiments.restore(experiment_id)

    # -- runs --------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        user_id: str = "",
        start_time: int | None = None,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
    ) -> Run:
        return self._runs.create(experiment_id, user_id, start_time, tags, run_name)

    def get_run(self, run_id: str) -> Run:
        return self._runs.get(run_id)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        return self._runs.update_info(run_id, status, end_time, run_name)

    def delete_run(self, run_id: str) -> None:
        self._runs.delete(run_id)

    def restore_run(self, run_id: str) -> None:
        self._runs.restore(run_id)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        self._batches.log_batch(run_id, metrics, params, tags)

    def log_metric_rows(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        self._batches.log_metric_rows(run_id, points)

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self._batches.log_batch(run_id, (metric,), (), ())

    def log_param(self, run_id: str, param: Param) -> None:
        self._batches.log_batch(run_id, (), (param,), ())

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self._batches.log_batch(run_id, (), (), (tag,))

    def delete_tag(self, run_id: str, key: str) -> None:
        self._batches.delete_tag(run_id, key)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        self._inputs.log_inputs(run_id, datasets)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        return self._history.history(run_id, key, max_results, page_token)

    def get_metric_history_downsampled(
        self,
        run_ids: Sequence[str],
        key: str,
        max_points: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[MetricWithRunId]:
        return self._history.downsampled(run_ids, key, max_points, start_step, end_step)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        return self._run_search.search(
            experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
        )

    # -- maintenance -------------------------------------------------------------------

    def list_deleted_runs(self, older_than_ms: int | None = None) -> list[RunInfo]:
        return self._runs.list_deleted(older_than_ms)

    def list_deleted_experiments(self, older_than_ms: int | None = None) -> list[Experiment]:
        return self._experiments.list_deleted(older_than_ms)

    def purge_run(self, run_id: str) -> None:
        self._runs.purge(run_id)

    def purge_experiment(self, experiment_id: str) -> None:
        self._experiments.purge(experiment_id)

    def close(self) -> None:
        self._db.dispose()
