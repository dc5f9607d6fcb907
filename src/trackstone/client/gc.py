"""Garbage collection: permanently remove soft-deleted runs and experiments with their artifacts.

Artifacts go first, rows second: if deleting files fails, the run stays soft-deleted and the
next collection retries it; a run row is never purged while its files remain. An experiment's
own folder is removed only when nothing but empty folders is left in it once its runs' files
are gone (a user-chosen artifact location may be shared with other data).

A deleted run that a model version still needs (``RegistryStore.run_ids_in_use``: the
version's files live in the run's artifacts, and its lineage names the run) is kept,
deleted but present, and so is the deleted experiment holding it (its other runs are
collected). The registry is asked when planning and again just before each removal, so a
version registered meanwhile is honoured; the SQL store checks once more inside the purge's
own transaction and refuses (``InvalidState``), which is reported as kept too (a version
registered in that last moment keeps the run's row, though its files were already deleted).
The report lists what was kept; once no version needs the run, the next collection removes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from trackstone.artifacts.base import ArtifactRepository
from trackstone.artifacts.resolve import repository_for_uri
from trackstone.entities import Experiment, LifecycleStage, RunInfo, ViewType
from trackstone.errors import InvalidState, NotFound
from trackstone.store.base import TrackingStore
from trackstone.store.registry import registry_of

__all__ = ["GcReport", "Progress", "collect_garbage"]

logger = logging.getLogger(__name__)

# Called after each run or experiment is handled: (done, total).
Progress = Callable[[int, int], None]

_PAGE_SIZE = 1000
# Run ids asked about per run_ids_in_use call (bounded so a REST request stays small).
_IN_USE_CHUNK = 500


@dataclass(frozen=True)
class GcReport:
    """What a collection removed (or, with ``dry_run``, would remove), and what it kept.

    ``kept_run_ids`` are deleted runs a model version still needs; ``kept_experiment_ids``
    are deleted experiments kept because they hold such runs.
    """

    run_ids: tuple[str, ...] = ()
    experiment_ids: tuple[str, ...] = ()
    artifact_uris: tuple[str, ...] = ()
    dry_run: bool = False
    kept_run_ids: tuple[str, ...] = ()
    kept_experiment_ids: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing was (or would be) removed and nothing was kept."""
        return not (
            self.run_ids or self.experiment_ids or self.kept_run_ids or self.kept_experiment_ids
        )


@dataclass
class _Plan:
    runs: list[RunInfo] = field(default_factory=list)
    experiments: list[Experiment] = field(default_factory=list)
    # Runs that belong to a planned experiment, found when listing it; purged with it.
    experiment_runs: dict[str, list[RunInfo]] = field(default_factory=dict)
    # Deleted runs some model version still needs: never purged (nor their experiment).
    in_use: set[str] = field(default_factory=set)


def collect_garbage(
    store: TrackingStore,
    older_than_ms: int | None = None,
    run_ids: Sequence[str] | None = None,
    experiment_ids: Sequence[str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> GcReport:
    """Permanently delete soft-deleted runs and experiments, artifacts first.

    With neither ``run_ids`` nor ``experiment_ids``, every deleted run and experiment (deleted
    at least ``older_than_ms`` ago, per the store's clock, when given) is collected. With ids,
    only those are, and each must be deleted (and old enough) or nothing happens.

    Args:
        store: the tracking store holding the rows.
        older_than_ms: only collect what was deleted at least this long ago.
        run_ids: collect only these runs.
        experiment_ids: collect only these experiments (with all their runs).
        dry_run: report what would be removed without removing anything.
        progress: called with ``(done, total)`` after each run or experiment.

    Runs a model version still needs are kept (with the experiment holding them), whether
    chosen by id or not; the report names them.

    Returns:
        A ``GcReport`` naming the removed runs, experiments and artifact locations, and the
        runs and experiments kept for the model registry.

    Raises:
        InvalidState: a given run or experiment is not deleted, or not deleted long enough.
        NotFound: a given id does not exist.

    Example:
        >>> collect_garbage(store, older_than_ms=30 * 86_400_000)
    """
    plan = _plan(store, older_than_ms, run_ids, experiment_ids)
    total = len(plan.runs) + len(plan.experiments)
    outcome = _Outcome()
    done = 0
    for run in plan.runs:
        _collect_run(store, plan, run, outcome, dry_run)
        done += 1
        if progress is not None:
            progress(done, total)
    for experiment in plan.experiments:
        _collect_experiment(store, plan, experiment, outcome, dry_run)
        done += 1
        if progress is not None:
            progress(done, total)
    if outcome.kept_runs:
        logger.info("kept %d deleted run(s) that model versions still need", len(outcome.kept_runs))
    return GcReport(
        run_ids=tuple(outcome.purged_runs),
        experiment_ids=tuple(outcome.purged_experiments),
        artifact_uris=tuple(uri for uri in outcome.artifact_uris if uri),
        dry_run=dry_run,
        kept_run_ids=tuple(outcome.kept_runs),
        kept_experiment_ids=tuple(outcome.kept_experiments),
    )


@dataclass
class _Outcome:
    """What a collection did so far."""

    artifact_uris: list[str] = field(default_factory=list)
    purged_runs: list[str] = field(default_factory=list)
    purged_experiments: list[str] = field(default_factory=list)
    kept_runs: list[str] = field(default_factory=list)
    kept_experiments: list[str] = field(default_factory=list)


def _recheck(store: TrackingStore, plan: _Plan, runs: Sequence[RunInfo], dry_run: bool) -> None:
    """Ask again right before removing: a version may have been registered since planning."""
    if not dry_run:
        plan.in_use |= _runs_in_use(store, [r.run_id for r in runs if r.run_id not in plan.in_use])


def _purged(
    store: TrackingStore, plan: _Plan, runs: Sequence[RunInfo], purge: Callable[[], None]
) -> bool:
    """Call ``purge``; return False if the store refused it for a version needing one of ``runs``.

    The store checks inside its purge transaction, so a version registered after the last
    recheck still keeps its run's row (its files may already be gone).
    """
    try:
        purge()
    except InvalidState:
        needed = _runs_in_use(store, [run.run_id for run in runs])
        if not needed:
            raise
        logger.warning(
            "kept run(s) %s: a model version registered during the collection needs them "
            "(their files were already deleted)",
            ", ".join(sorted(needed)),
        )
        plan.in_use |= needed
        return False
    return True


def _collect_run(
    store: TrackingStore, plan: _Plan, run: RunInfo, outcome: _Outcome, dry_run: bool
) -> None:
    _recheck(store, plan, [run], dry_run)
    if run.run_id not in plan.in_use and (
        dry_run or _purged(store, plan, [run], partial(_purge_run, store, run))
    ):
        outcome.artifact_uris.append(run.artifact_uri)
        outcome.purged_runs.append(run.run_id)
        return
    outcome.kept_runs.append(run.run_id)


def _collect_experiment(
    store: TrackingStore, plan: _Plan, experiment: Experiment, outcome: _Outcome, dry_run: bool
) -> None:
    runs = plan.experiment_runs[experiment.experiment_id]
    _recheck(store, plan, runs, dry_run)
    if not any(run.run_id in plan.in_use for run in runs) and (
        dry_run or _purged(store, plan, runs, partial(_purge_experiment, store, experiment, runs))
    ):
        outcome.artifact_uris.extend(run.artifact_uri for run in runs)
        outcome.purged_runs.extend(run.run_id for run in runs)
        outcome.artifact_uris.append(experiment.artifact_location)
        outcome.purged_experiments.append(experiment.experiment_id)
        return
    # Keep the experiment row (the kept runs point at it) and its folder.
    for run in runs:
        if run.run_id not in plan.in_use and (
            dry_run or _purged(store, plan, [run], partial(_purge_run, store, run))
        ):
            outcome.artifact_uris.append(run.artifact_uri)
            outcome.purged_runs.append(run.run_id)
        else:
            outcome.kept_runs.append(run.run_id)
    outcome.kept_experiments.append(experiment.experiment_id)


def _runs_in_use(store: TrackingStore, run_ids: Sequence[str]) -> set[str]:
    """Return the runs among ``run_ids`` that a model version needs (none without a registry).

    A registry that fails to answer fails the collection: purging blind could lose a model.
    """
    if not run_ids:
        return set()
    try:
        registry = registry_of(store)
    except NotFound:
        return set()
    in_use: set[str] = set()
    for start in range(0, len(run_ids), _IN_USE_CHUNK):
        in_use |= registry.run_ids_in_use(list(run_ids[start : start + _IN_USE_CHUNK]))
    return in_use


def _plan(
    store: TrackingStore,
    older_than_ms: int | None,
    run_ids: Sequence[str] | None,
    experiment_ids: Sequence[str] | None,
) -> _Plan:
    everything = not run_ids and not experiment_ids
    runs = _deleted_runs(store, older_than_ms, run_ids) if everything or run_ids else []
    experiments = (
        _deleted_experiments(store, older_than_ms, experiment_ids)
        if everything or experiment_ids
        else []
    )
    # Runs of a collected experiment go with it: purge_experiment removes their rows.
    gone = {experiment.experiment_id for experiment in experiments}
    plan = _Plan(
        runs=[run for run in runs if run.experiment_id not in gone], experiments=experiments
    )
    for experiment in experiments:
        plan.experiment_runs[experiment.experiment_id] = _runs_of(store, experiment.experiment_id)
    candidates = [run.run_id for run in plan.runs]
    candidates += [run.run_id for runs in plan.experiment_runs.values() for run in runs]
    plan.in_use = _runs_in_use(store, candidates)
    return plan


def _deleted_runs(
    store: TrackingStore, older_than_ms: int | None, run_ids: Sequence[str] | None
) -> list[RunInfo]:
    eligible = {run.run_id: run for run in store.list_deleted_runs(older_than_ms)}
    if not run_ids:
        return list(eligible.values())
    chosen: list[RunInfo] = []
    for run_id in dict.fromkeys(run_ids):
        info = store.get_run(run_id).info  # raises NotFound for unknown ids
        if info.lifecycle_stage is not LifecycleStage.DELETED:
            raise InvalidState(f"run {run_id!r} is not deleted; delete it before collecting it")
        if run_id not in eligible:
            raise InvalidState(f"run {run_id!r} was deleted too recently for --older-than")
        chosen.append(eligible[run_id])
    return chosen


def _deleted_experiments(
    store: TrackingStore, older_than_ms: int | None, experiment_ids: Sequence[str] | None
) -> list[Experiment]:
    eligible = {e.experiment_id: e for e in store.list_deleted_experiments(older_than_ms)}
    if not experiment_ids:
        return list(eligible.values())
    chosen: list[Experiment] = []
    for experiment_id in dict.fromkeys(experiment_ids):
        experiment = store.get_experiment(experiment_id)  # raises NotFound for unknown ids
        if experiment.lifecycle_stage is not LifecycleStage.DELETED:
            raise InvalidState(
                f"experiment {experiment_id!r} is not deleted; delete it before collecting it"
            )
        if experiment_id not in eligible:
            raise InvalidState(
                f"experiment {experiment_id!r} was deleted too recently for --older-than"
            )
        chosen.append(eligible[experiment_id])
    return chosen


def _runs_of(store: TrackingStore, experiment_id: str) -> list[RunInfo]:
    runs: list[RunInfo] = []
    token: str | None = None
    while True:
        page = store.search_runs(
            [experiment_id],
            run_view_type=ViewType.ALL,
            max_results=_PAGE_SIZE,
            page_token=token,
        )
        runs.extend(run.info for run in page)
        token = page.token
        if not token:
            return runs


def _delete_artifacts(uri: str) -> None:
    if uri:
        repository_for_uri(uri).delete_artifacts()


def _purge_run(store: TrackingStore, run: RunInfo) -> None:
    _delete_artifacts(run.artifact_uri)
    store.purge_run(run.run_id)


def _holds_files(repository: ArtifactRepository, path: str | None = None) -> bool:
    for entry in repository.list_artifacts(path):
        if not entry.is_dir or _holds_files(repository, entry.path):
            return True
    return False


def _purge_experiment(
    store: TrackingStore, experiment: Experiment, runs: Sequence[RunInfo]
) -> None:
    for run in runs:
        _delete_artifacts(run.artifact_uri)
    # A user-chosen artifact location may be a folder shared with other data: remove it only
    # when nothing but the empty folders our runs left is in it.
    if experiment.artifact_location:
        repository = repository_for_uri(experiment.artifact_location)
        if _holds_files(repository):
            logger.warning(
                "kept %s: it holds files that belong to no run of experiment %s",
                experiment.artifact_location,
                experiment.experiment_id,
            )
        else:
            repository.delete_artifacts()
    store.purge_experiment(experiment.experiment_id)
