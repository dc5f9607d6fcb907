"""MLflow's fluent API: module-level functions that act on the active run.

Same names and signatures as ``mlflow``'s, so ``import trackstone as mlflow`` runs MLflow
scripts (the artifact and dataset functions live in ``fluent_artifacts``, the searches in
``fluent_search``). State (tracking URI, active experiment, the active-run stacks of
``context``) lives in this module; the work is done by one ``TrackstoneClient``. Logging with
no active run starts one, as MLflow does. Active runs are per thread with a shared fallback:
see ``trackstone.client.context``. Runs still active when the interpreter exits are ended:
FAILED after an uncaught exception, KILLED after Ctrl-C, FINISHED otherwise.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trackstone.client.client import TrackstoneClient, warn_unsupported
from trackstone.client.context import ActiveRun, RunStack, status_for_exception
from trackstone.client.shutdown import at_interpreter_exit
from trackstone.client.system_tags import (
    PARENT_RUN_ID_TAG,
    RUN_NAME_TAG,
    RUN_NOTE_TAG,
    default_run_tags,
)
from trackstone.client.tracking_uri import set_process_tracking_uri
from trackstone.entities import (
    DEFAULT_EXPERIMENT_ID,
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
)
from trackstone.errors import AlreadyExists, InvalidParameter, InvalidState

__all__ = [
    "active_run",
    "create_experiment",
    "current_experiment_id",
    "current_run_id",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush_async_logging",
    "get_client",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

logger = logging.getLogger(__name__)


class _FluentState:
    """Everything the fluent functions remember between calls."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.client: TrackstoneClient | None = None
        self.experiment_id: str | None = None
        self.last_run_id: str | None = None
        self.runs = RunStack()
        self.hooks_registered = False
        # Settings.run_id (MLFLOW_RUN_ID) is resumed by the first start_run only.
        self.settings_run_taken = False


def _after_fork_in_child() -> None:
    # Only the forking thread survives; locks other threads held would never be released.
    _state.lock = threading.RLock()
    _state.runs.after_fork()


_state = _FluentState()


def get_client() -> TrackstoneClient:
    """Return the client the fluent functions use (built from settings on first use)."""
    client = _state.client
    if client is None:
        with _state.lock:
            if _state.client is None:
                _state.client = TrackstoneClient()  # set_tracking_uri's URI, if any
            client = _state.client
    return client


# -- tracking URI and experiments ----------------------------------------------------------


def set_tracking_uri(uri: str | Path) -> None:
    """Point the fluent API at another store: a URI (``sqlite:///``, ``http://``...) or folder.

    Clients built after this without a URI of their own (``MlflowClient()``) use it too.
    """
    with _state.lock:
        old = _state.client
        set_process_tracking_uri(str(uri))
        _state.client = None
        _state.experiment_id = None
    if old is not None and _state.runs.active() is None:
        old.close()


def get_tracking_uri() -> str:
    """Return the tracking URI the fluent API uses."""
    return get_client().tracking_uri


def create_experiment(
    name: str,
    artifact_location: str | None = None,
    tags: Mapping[str, Any] | None = None,
    trace_location: Any = None,
) -> str:
    """Create an experiment and return its id (``trace_location`` is ignored)."""
    warn_unsupported(trace_location=trace_location)
    return get_client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """Return an experiment by id. Raises NotFound."""
    return get_client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """Return the experiment with this name, or None."""
    return get_client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    """Soft-delete an experiment and its runs."""
    get_client().delete_experiment(experiment_id)


def _experiment_named(name: str) -> Experiment:
    client = get_client()
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found
    try:
        return client.get_experiment(client.create_experiment(name))
    except AlreadyExists:
        # Another process created it between our lookup and our insert.
        created = client.get_experiment_by_name(name)
        if created is None:
            raise
        return created


def set_experiment(
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    trace_location: Any = None,
) -> Experiment:
    """Make an experiment the active one, creating it when given by a name that is not taken.

    Raises:
        InvalidParameter: neither or both of ``experiment_name`` and ``experiment_id`` given.
        NotFound: no experiment has ``experiment_id``.
        InvalidState: the experiment is deleted.
    """
    warn_unsupported(trace_location=trace_location)
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameter("set_experiment: give exactly one of experiment_name, experiment_id")
    if experiment_id is not None:
        experiment = get_client().get_experiment(str(experiment_id))
    else:
        assert experiment_name is not None
        experiment = _experiment_named(experiment_name)
    if experiment.lifecycle_stage == LifecycleStage.DELETED:
        raise InvalidState(
            f"experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted: "
            "restore it or choose another one"
        )
    with _state.lock:
        _state.experiment_id = experiment.experiment_id
    return experiment


def current_experiment_id() -> str:
    """The active experiment: set_experiment's, else the settings', else the default."""
    if _state.experiment_id is not None:
        return _state.experiment_id
    settings = get_client().settings
    if settings.experiment_id:
        return settings.experiment_id
    if settings.experiment_name:
        return set_experiment(settings.experiment_name).experiment_id
    return DEFAULT_EXPERIMENT_ID


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the active experiment."""
    get_client().set_experiment_tag(current_experiment_id(), key, value)


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags on the active experiment."""
    for key, value in tags.items():
        set_experiment_tag(key, value)


# -- runs ----------------------------------------------------------------------------------


def _end_active(active: ActiveRun, status: RunStatus) -> None:
    """End ``active`` (and runs nested in it that are still open) with ``status``."""
    client = get_client()
    for run in _state.runs.remove(active.info.run_id):
        client.set_terminated(run.info.run_id, status)
    _state.last_run_id = active.info.run_id


def _end_runs_at_exit() -> None:
    # Set by the interpreter when an uncaught exception ends the program.
    error = getattr(sys, "last_value", None)
    status = status_for_exception(error if isinstance(error, BaseException) else None)
    client = _state.client
    if client is None:
        return
    for run in _state.runs.drain():
        if not run.started_here:
            continue  # a forked worker leaves its parent's runs to the parent
        try:
            client.set_terminated(run.info.run_id, status)
        except Exception:
            logger.exception("could not end run %s at exit", run.info.run_id)


def _resume_run(
    run_id: str,
    experiment_id: str | None,
    run_name: str | None,
    tags: dict[str, str],
) -> Run:
    client = get_client()
    run = client.get_run(run_id)
    if run.info.lifecycle_stage == LifecycleStage.DELETED:
        raise InvalidState(f"run {run_id!r} is deleted: restore it before resuming it")
    if experiment_id is not None and str(experiment_id) != run.info.experiment_id:
        raise InvalidParameter(
            f"experiment_id: run {run_id!r} belongs to experiment {run.info.experiment_id}, "
            f"not {experiment_id}"
        )
    if run.info.status != RunStatus.RUNNING or run_name is not None:
        client.update_run(run_id, RunStatus.RUNNING, name=run_name)
    if tags:
        client.log_batch(run_id, tags=[RunTag(key, value) for key, value in tags.items()])
    return client.get_run(run_id)


def _run_id_from_settings() -> str | None:
    """Return the launcher's run (``Settings.run_id``) the first time only, as MLflow does."""
    with _state.lock:
        if _state.settings_run_taken:
            return None
        _state.settings_run_taken = True
    return get_client().settings.run_id


def _parent_of(nested: bool, parent_run_id: str | None) -> str | None:
    active = _state.runs.active()
    if parent_run_id is None:
        return active.info.run_id if nested and active is not None else None
    if active is not None and active.info.run_id != parent_run_id:
        raise InvalidParameter(
            f"parent_run_id: {parent_run_id!r} is not the active run {active.info.run_id!r}"
        )
    get_client().get_run(parent_run_id)
    return parent_run_id


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it the active run of this thread.

    Use it as a context manager: the run ends FINISHED when the block exits normally,
    FAILED on an exception and KILLED on Ctrl-C.

    Args:
        run_id: an existing run to resume (set back to RUNNING). When None, the first
            ``start_run`` of the process resumes ``TRACKSTONE_RUN_ID`` / ``MLFLOW_RUN_ID``
            if set (``Settings.run_id``), as MLflow does for runs its launchers create.
        experiment_id: where to create the run (default: the active experiment).
        run_name: a name; the store generates one when None.
        nested: start the run as a child of the active run.
        parent_run_id: the parent run, for nesting under an explicit run.
        tags: tags of the run, on top of the default tags (user, source, git...).
        description: a note, stored in the ``mlflow.note.content`` tag.
        log_system_metrics: accepted for MLflow compatibility and ignored.

    Raises:
        InvalidState: this thread already has an active run and ``nested`` is False.

    Example:
        >>> with trackstone.start_run(run_name="baseline") as run:  # doctest: +SKIP
        ...     trackstone.log_param("lr", 0.01)
    """
    own = _state.runs.own_active()
    if own is not None and not nested:
        raise InvalidState(
            f"run {own.info.run_id!r} is already active: end it with end_run() first, "
            "or start a nested run with start_run(nested=True)"
        )
    if log_system_metrics:
        logger.debug("log_system_metrics is accepted for MLflow compatibility and ignored")
    if run_id is None:
        run_id = _run_id_from_settings()
    extra = {str(key): str(value) for key, value in (tags or {}).items()}
    parent = _parent_of(nested, parent_run_id)
    if parent is not None:
        extra[PARENT_RUN_ID_TAG] = parent
    if description is not None:
        extra[RUN_NOTE_TAG] = description
    client = get_client()
    if run_id is not None:
        run = _resume_run(run_id, experiment_id, run_name, extra)
    else:
        name = run_name if run_name is not None else extra.get(RUN_NAME_TAG)
        extra.pop(RUN_NAME_TAG, None)
        chosen = str(experiment_id) if experiment_id is not None else current_experiment_id()
        run = client.create_run(chosen, tags={**default_run_tags(), **extra}, run_name=name)
    active = ActiveRun(run, _end_active)
    _state.runs.push(active)
    _register_hooks()
    return active


def _register_hooks() -> None:
    with _state.lock:
        if _state.hooks_registered:
            return
        _state.hooks_registered = True
    at_interpreter_exit(_end_runs_at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)


def end_run(status: RunStatus | str = RunStatus.FINISHED) -> None:
    """End the active run (no-op without one) with ``status``."""
    active = _state.runs.active()
    if active is not None:
        _end_active(active, RunStatus.parse(status))


def active_run() -> ActiveRun | None:
    """Return the active run of this thread (or the shared one), or None."""
    return _state.runs.active()


def last_active_run() -> Run | None:
    """Return the active run, else the run that ended last, fetched fresh; or None."""
    active = _state.runs.active()
    run_id = active.info.run_id if active is not None else _state.last_run_id
    return get_client().get_run(run_id) if run_id is not None else None


def current_run_id(run_id: str | None = None) -> str:
    """Return ``run_id``, else the active run's id, starting a run if there is none."""
    if run_id is not None:
        return run_id
    active = _state.runs.active()
    if active is None:
        active = start_run()
    return active.info.run_id


def get_run(run_id: str) -> Run:
    """Return a run, fresh from the store."""
    return get_client().get_run(run_id)


def delete_run(run_id: str) -> None:
    """Soft-delete a run."""
    get_client().delete_run(run_id)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    """Return every point of a metric of a run."""
    return get_client().get_metric_history(run_id, key)


# -- logging -------------------------------------------------------------------------------


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Log a write-once param to the active run; return ``value``."""
    return get_client().log_param(current_run_id(), key, value, synchronous)


def log_params(
    params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> None:
    """Log several params at once."""
    records = [Param(str(key), value) for key, value in params.items()]
    get_client().log_batch(current_run_id(run_id), params=records, synchronous=synchronous)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> None:
    """Log one metric point to the active run (or ``run_id``); returns in microseconds.

    ``model_id`` and ``dataset`` (MLflow 3) are accepted but not stored yet.
    """
    if model_id is not None or dataset is not None:
        warn_unsupported(model_id=model_id, dataset=dataset)
    if run_id is None:
        active = _state.runs.active()
        run_id = active.info.run_id if active is not None else current_run_id()
    client = _state.client or get_client()
    if not synchronous:
        log_point = client.point_logger(run_id)
        if log_point is not None and log_point(key, value, timestamp, step):
            return
    client.log_metric(run_id, key, value, timestamp, step, synchronous)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> None:
    """Log several metrics at the same step and time (``model_id``/``dataset`` are ignored)."""
    warn_unsupported(model_id=model_id, dataset=dataset)
    client = get_client()
    when = client.clock.now_ms() if timestamp is None else timestamp
    records = [Metric(str(key), value, when, step or 0) for key, value in metrics.items()]
    client.log_batch(current_run_id(run_id), metrics=records, synchronous=synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    """Set a tag on the active run."""
    get_client().set_tag(current_run_id(), key, value, synchronous)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    """Set several tags on the active run."""
    records = [RunTag(str(key), value) for key, value in tags.items()]
    get_client().log_batch(current_run_id(), tags=records, synchronous=synchronous)


def delete_tag(key: str) -> None:
    """Remove a tag from the active run."""
    get_client().delete_tag(current_run_id(), key)


def flush_async_logging() -> None:
    """Wait until every record logged so far is stored."""
    get_client().flush()
