"""``TrackstoneClient``: explicit-id access to experiments, runs, metrics and artifacts.

Names and signatures mirror ``mlflow.MlflowClient``. The store is opened on first use, so
building a client is cheap. With ``settings.async_logging`` metric/param/tag writes and run
ends go through the durable spool (``DurableLogger``) and return in microseconds; every read
of a run first flushes what this client still holds for it (read-your-writes). Values are
validated when the call is made (by building the entities), and params this process logged
are remembered per run, so changing a param raises at the call even though it ships later.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackstone.client.artifact_logging import ArtifactMethods
from trackstone.client.monitoring_methods import MonitoringMethods
from trackstone.client.registry_methods import RegistryMethods
from trackstone.client.shutdown import after_fork_in_child, close_at_exit
from trackstone.client.tracking_uri import process_tracking_uri
from trackstone.clock import Clock, SystemClock
from trackstone.config import Settings
from trackstone.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from trackstone.entities.validation import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MAX_RECORDS_PER_BATCH,
    MAX_TAGS_PER_BATCH,
    check_key,
)
from trackstone.errors import InvalidParameter, InvalidState

if TYPE_CHECKING:
    from trackstone.artifacts.base import ArtifactRepository
    from trackstone.client.durable import DurableLogger, PointLogger
    from trackstone.store.base import TrackingStore

__all__ = ["TrackstoneClient", "warn_unsupported"]

logger = logging.getLogger(__name__)

SEARCH_MAX_RESULTS_DEFAULT = 1000
_HISTORY_PAGE_SIZE = 100_000
_EXPERIMENT_PAGE_SIZE = 1000
_CACHED_REPOSITORIES = 16
_warned: set[str] = set()
_clients: weakref.WeakSet[TrackstoneClient] = weakref.WeakSet()
_fork_hook_registered = False
# What forked children inherited: never closed there (that would close the parent's database
# connections and spool files) and never collected (a collected connection may say goodbye on
# a socket the parent still uses).
_inherited: list[object] = []


def _track(client: TrackstoneClient) -> None:
    global _fork_hook_registered
    _clients.add(client)
    if not _fork_hook_registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _fork_hook_registered = True


def _after_fork_in_child() -> None:
    for client in list(_clients):
        client._forget_inherited()
    after_fork_in_child()


def warn_unsupported(**arguments: object) -> None:
    """Warn once per argument name that an MLflow argument given a value is ignored."""
    for name, value in arguments.items():
        if value is not None and name not in _warned:
            _warned.add(name)
            logger.warning("the %r argument is accepted for MLflow compatibility but ignored", name)


class TrackstoneClient(ArtifactMethods, RegistryMethods, MonitoringMethods):
    """A client for one tracking store; every call names the experiment or run it acts on.

    Args:
        tracking_uri: ``sqlite:///...``, ``postgresql://...``, ``http(s)://...`` or a data
            folder; overrides ``settings.tracking_uri``. When neither is given, the URI of
            the last ``set_tracking_uri`` call, if any (as ``MlflowClient()`` does).
        settings: everything else (``Settings.from_env()`` when None).
        clock: the source of timestamps the client stamps (start/end times, metric points).

    Example:
        >>> client = TrackstoneClient("./trackstone-data")  # doctest: +SKIP
        >>> run = client.create_run(client.create_experiment("demo"))  # doctest: +SKIP
        >>> client.log_metric(run.info.run_id, "loss", 0.3, step=1)  # doctest: +SKIP
    """

    def __init__(
        self,
        tracking_uri: str | Path | None = None,
        *,
        settings: Settings | None = None,
        clock: Clock | None = None,
    ) -> None:
        chosen = settings if settings is not None else Settings.from_env()
        if tracking_uri is None and settings is None:
            tracking_uri = process_tracking_uri()  # set_tracking_uri's, as MlflowClient() does
        if tracking_uri is not None:
            chosen = chosen.with_tracking_uri(str(tracking_uri))
        self._settings = chosen
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._now_ms = self._clock.now_ms  # bound once: every logged point asks for the time
        self._lock = threading.Lock()
        self._store: TrackingStore | None = None
        self._durable: DurableLogger | None = None
        # Runs this client knows exist (created here, or looked up once before logging).
        self._known_runs: set[str] = set()
        # The durable logger's point loggers by run (see ``point_logger``); emptied with it.
        self._point_loggers: dict[str, PointLogger] = {}
        self._params: dict[str, dict[str, str]] = {}
        self._artifact_uris: dict[str, str] = {}
        # Repositories by artifact URI, the most recent last: a proxied one keeps its
        # connections open between calls.
        self._repositories: dict[str, ArtifactRepository] = {}
        _track(self)

    # -- plumbing ------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings this client was built with."""
        return self._settings

    @property
    def tracking_uri(self) -> str:
        """Where this client's metadata lives."""
        return self._settings.tracking_uri

    @property
    def clock(self) -> Clock:
        """The clock whose time the client stamps on records."""
        return self._clock

    @property
    def store(self) -> TrackingStore:
        """The tracking store, opened on first use."""
        store = self._store
        if store is None:
            with self._lock:
                if self._store is None:
                    from trackstone.client.stores import store_for_settings

                    self._store = store_for_settings(self._settings)
                store = self._store
        return store

    def _logger(self) -> DurableLogger | None:
        """Return the durable logger (created on first write), or None for direct writes."""
        durable = self._durable
        if durable is None and self._settings.async_logging:
            store = self.store
            with self._lock:
                if self._durable is None:
                    from trackstone.client.durable import DurableLogger

                    self._durable = DurableLogger(store, self._settings, self._clock)
                    close_at_exit(self)
                durable = self._durable
        return durable

    def flush(self, run_id: str | None = None) -> bool:
        """Wait until pending records (of one run, or all) are stored; False on timeout."""
        durable = self._durable
        if durable is None:
            return True
        done = durable.flush(run_id, timeout_s=self._settings.flush_timeout_s)
        if not done:
            logger.warning(
                "records of %s were not all stored within %.0f s; reads may miss them",
                f"run {run_id}" if run_id else "every run",
                self._settings.flush_timeout_s,
            )
        return done

    def close(self) -> None:
        """Ship pending records, then release the logger and the store. Safe to call twice."""
        with self._lock:
            durable, store = self._durable, self._store
            self._durable = None
            self._point_loggers = {}
            self._store = None
        try:
            if durable is not None:
                durable.close()
        finally:
            if store is not None:
                store.close()

    def _forget_inherited(self) -> None:
        """In a forked child: drop the parent's store and logger; fresh ones open on first use."""
        self._lock = threading.Lock()
        _inherited.extend(item for item in (self._store, self._durable) if item is not None)
        self._store = None
        self._durable = None
        self._point_loggers = {}
        self._repositories = {}  # their connections are the parent's
        if self._settings.async_logging:
            close_at_exit(self)

    def _check_run(self, run_id: str) -> None:
        """Look a run up once before the first spooled write, so a bad id fails at the call.

        Also seeds the param cache with the run's stored params.
        """
        if run_id in self._known_runs:
            return
        run = self.store.get_run(run_id)
        if run.info.lifecycle_stage == LifecycleStage.DELETED:
            raise InvalidState(f"run {run_id!r} is deleted; restore it before logging to it")
        with self._lock:
            cache = self._params.setdefault(run_id, {})
            for key, value in run.data.params.items():
                cache.setdefault(key, value)
            self._artifact_uris[run_id] = run.info.artifact_uri
            self._known_runs.add(run_id)

    def _remember_params(self, run_id: str, params: Sequence[Param]) -> None:
        """Record params logged to ``run_id``; raise if one changes a value already logged."""
        with self._lock:
            cache = self._params.setdefault(run_id, {})
            seen = dict(cache)
            for param in params:
                old = seen.setdefault(param.key, param.value)
                if old != param.value:
                    raise InvalidParameter(
                        f"param {param.key!r} of run {run_id!r}: already logged as {old!r}, "
                        f"cannot change it to {param.value!r} (params are write-once)"
                    )
            cache.update(seen)

    def _write(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        durable = self._logger()
        if durable is None:
            self.store.log_batch(run_id, metrics=metrics, params=params, tags=tags)
            return
        self._check_run(run_id)
        if params:
            self._remember_params(run_id, params)
        if synchronous and durable.is_drained(run_id):
            # Nothing of this run waits in the spool, so storing directly keeps the run's
            # order, and saves the trip through the spool and the sender.
            self.store.log_batch(run_id, metrics=metrics, params=params, tags=tags)
            return
        durable.log_batch(run_id, metrics, params, tags)
        if synchronous:
            self.flush(run_id)

    # -- experiments ---------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an experiment and return its id. Raises AlreadyExists if the name is taken."""
        tag_list = [ExperimentTag(key, value) for key, value in (tags or {}).items()]
        return self.store.create_experiment(name, artifact_location, tag_list)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment by id. Raises NotFound."""
        return self.store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this name, or None."""
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Return experiments matching the filter; every one of them when max_results is None."""
        view = ViewType.parse(view_type)
        if max_results is not None:
            return self.store.search_experiments(
                view, max_results, filter_string, order_by, page_token
            )
        found: list[Experiment] = []
        token = page_token
        while True:
            page = self.store.search_experiments(
                view, _EXPERIMENT_PAGE_SIZE, filter_string, order_by, token
            )
            found.extend(page)
            token = page.token
            if not token:
                return PagedList(found, None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment."""
        self.store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs (restorable until gc)."""
        self.store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a soft-deleted experiment."""
        self.store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set (or overwrite) a tag on an experiment."""
        self.store.set_experiment_tag(str(experiment_id), ExperimentTag(key, value))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment."""
        self.store.delete_experiment_tag(str(experiment_id), key)

    # -- runs ----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a RUNNING run; the user comes from the ``mlflow.user`` tag if given."""
        tag_list = [RunTag(key, value) for key, value in (tags or {}).items()]
        user = next((t.value for t in tag_list if t.key == "mlflow.user"), "")
        run = self.store.create_run(
            str(experiment_id),
            user_id=user,
            start_time=self._clock.now_ms() if start_time is None else start_time,
            tags=tag_list,
            run_name=run_name,
        )
        run_id = run.info.run_id
        with self._lock:
            self._known_runs.add(run_id)
            self._params[run_id] = {}
            self._artifact_uris[run_id] = run.info.artifact_uri
        close_at_exit(self)
        return run

    def get_run(self, run_id: str) -> Run:
        """Return a run with its latest metrics, params, tags and inputs. Raises NotFound."""
        self.flush(run_id)
        return self.store.get_run(run_id)

    def update_run(
        self, run_id: str, status: RunStatus | str | None = None, name: str | None = None
    ) -> None:
        """Change a run's status and/or name."""
        self.flush(run_id)
        parsed = RunStatus.parse(status) if status is not None else None
        self.store.update_run_info(run_id, status=parsed, run_name=name)

    def set_terminated(
        self, run_id: str, status: RunStatus | str | None = None, end_time: int | None = None
    ) -> None:
        """End a run: FINISHED unless ``status`` says otherwise; end time defaults to now."""
        parsed = RunStatus.parse(status or RunStatus.FINISHED)
        ended_at = self._clock.now_ms() if end_time is None else end_time
        durable = self._logger()
        if durable is None:
            self.store.update_run_info(run_id, status=parsed, end_time=ended_at)
            return
        self._check_run(run_id)
        self._point_loggers.pop(run_id, None)
        durable.end_run(run_id, parsed, ended_at)  # waits until stored (bounded)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (restorable until gc)."""
        self.flush(run_id)
        self.store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        self.store.restore_run(run_id)

    # -- logging -------------------------------------------------------------------------

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> None:
        """Log one metric point (``step`` 0 and the current time unless given).

        ``dataset_name``, ``dataset_digest`` and ``model_id`` (MLflow 3) are accepted so that
        scripts run, but not stored yet: a warning says so once.
        """
        if dataset_name is not None or dataset_digest is not None or model_id is not None:
            warn_unsupported(
                dataset_name=dataset_name, dataset_digest=dataset_digest, model_id=model_id
            )
        if not synchronous:
            log_point = self.point_logger(run_id)
            if log_point is not None and log_point(key, value, timestamp, step):
                return
        when = self._now_ms() if timestamp is None else timestamp
        metric = Metric(key, value, when, 0 if step is None else step)
        self._write(run_id, metrics=(metric,), synchronous=synchronous)

    def point_logger(self, run_id: str) -> PointLogger | None:
        """Return the function that spools points of ``run_id`` as they are, or None.

        ``log_point(key, value, timestamp, step)`` returns True once the point is spooled, and
        False when its fields need a check or conversion (log it with ``log_metric`` then):
        the hot path of training loops, which the fluent ``log_metric`` takes. None until the
        run is known and the spool is open (the first ``log_metric`` of a run does both), and
        for clients that write directly.
        """
        log_point = self._point_loggers.get(run_id)
        if log_point is None:
            durable = self._durable
            if durable is None or run_id not in self._known_runs:
                return None
            log_point = durable.point_logger(run_id, self._now_ms)
            self._point_loggers[run_id] = log_point
        return log_point

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Log a write-once param; return ``value``. Raises InvalidParameter if it changes."""
        self._write(run_id, params=(Param(key, value),), synchronous=synchronous)
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        """Set (or overwrite) a tag on a run."""
        self._write(run_id, tags=(RunTag(key, value),), synchronous=synchronous)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run."""
        check_key("tag key", key)
        durable = self._logger()
        if durable is None:
            self.store.delete_tag(run_id, key)
            return
        self._check_run(run_id)
        durable.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log metrics, params and tags; large batches are sent in chunks the store accepts."""
        metrics, params, tags = list(metrics), list(params), list(tags)
        for record in (*metrics, *params, *tags):
            if not isinstance(record, (Metric, Param, RunTag)):
                raise InvalidParameter(
                    f"log_batch: expected Metric, Param or RunTag, got {record!r}"
                )
        if not (metrics or params or tags):
            return
        while metrics or params or tags:
            # Each chunk within every limit, the 1000 records in all included.
            chunk_params, chunk_tags = params[:MAX_PARAMS_PER_BATCH], tags[:MAX_TAGS_PER_BATCH]
            room = MAX_RECORDS_PER_BATCH - len(chunk_params) - len(chunk_tags)
            count = min(MAX_METRICS_PER_BATCH, room)
            self._write(run_id, metrics[:count], chunk_params, chunk_tags, synchronous)
            del metrics[:count]
            del params[: len(chunk_params)]
            del tags[: len(chunk_tags)]

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[Any] | None = None,
    ) -> None:
        """Record datasets the run consumed (``models``, an MLflow 3 feature, is not stored)."""
        warn_unsupported(models=models)
        if datasets:
            self.store.log_inputs(run_id, list(datasets))

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every point of a metric, ordered by step, then timestamp."""
        self.flush(run_id)
        points: list[Metric] = []
        token: str | None = None
        while True:
            page = self.store.get_metric_history(run_id, key, _HISTORY_PAGE_SIZE, token)
            points.extend(page)
            token = page.token
            if not token:
                return points

    def search_runs(
        self,
        experiment_ids: str | Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Return one page of runs matching the filter (see the search language docs)."""
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        self.flush()
        return self.store.search_runs(
            [str(i) for i in ids],
            filter_string or None,
            ViewType.parse(run_view_type),
            max_results,
            order_by,
            page_token,
        )

    # -- artifacts -----------------------------------------------------------------------

    def get_artifact_uri(self, run_id: str) -> str:
        """Return the root URI of a run's artifacts."""
        uri = self._artifact_uris.get(run_id)
        if uri is None:
            uri = self.store.get_run(run_id).info.artifact_uri
            self._artifact_uris[run_id] = uri
        return uri

    def _repository(self, run_id: str) -> ArtifactRepository:
        from trackstone.artifacts.resolve import repository_for_uri

        uri = self.get_artifact_uri(run_id)
        with self._lock:
            repository = self._repositories.pop(uri, None)
        if repository is None:
            # The settings name the tracking server behind mlflow-artifacts:/ URIs, its
            # credentials and the S3 endpoint.
            repository = repository_for_uri(uri, settings=self._settings)
        with self._lock:
            self._repositories[uri] = repository
            while len(self._repositories) > _CACHED_REPOSITORIES:
                del self._repositories[next(iter(self._repositories))]
        return repository
