"""TrackingStore contract: listing soft-deleted records by age and purging them for good."""

from __future__ import annotations

import pytest

from support.tracking import make_run, search_all_runs
from trackstone.clock import ManualClock
from trackstone.entities import (
    DATASET_CONTEXT_TAG,
    Dataset,
    DatasetInput,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    Metric,
    ViewType,
)
from trackstone.errors import InvalidState, NotFound
from trackstone.store.base import TrackingStore


def _full_run(store: TrackingStore, experiment_id: str, name: str) -> str:
    run = make_run(
        store,
        experiment_id,
        run_name=name,
        metrics=[Metric("loss", float(i), i, i) for i in range(5)],
        params={"lr": "0.1"},
        tags={"team": "vision"},
    )
    store.log_inputs(
        run.info.run_id,
        [DatasetInput(Dataset("mnist", "d1"), (InputTag(DATASET_CONTEXT_TAG, "training"),))],
    )
    return run.info.run_id


@pytest.mark.parametrize(
    ("older_than_ms", "listed"),
    [(None, True), (0, True), (999, True), (1_000, True), (1_001, False), (10**9, False)],
)
def test_list_deleted_runs_by_age(
    store: TrackingStore, clock: ManualClock, older_than_ms: int | None, listed: bool
) -> None:
    experiment_id = store.create_experiment("exp")
    deleted = store.create_run(experiment_id).info.run_id
    store.create_run(experiment_id)
    store.delete_run(deleted)
    clock.advance(1_000)

    found = store.list_deleted_runs(older_than_ms=older_than_ms)

    assert [info.run_id for info in found] == ([deleted] if listed else [])
    assert all(info.lifecycle_stage is LifecycleStage.DELETED for info in found)


def test_list_deleted_runs_uses_the_deletion_time(store: TrackingStore, clock: ManualClock) -> None:
    experiment_id = store.create_experiment("exp")
    early = store.create_run(experiment_id).info.run_id
    late = store.create_run(experiment_id).info.run_id
    store.delete_run(early)
    clock.advance(5_000)
    store.delete_run(late)
    clock.advance(1_000)

    assert {i.run_id for i in store.list_deleted_runs(older_than_ms=3_000)} == {early}
    assert {i.run_id for i in store.list_deleted_runs(older_than_ms=500)} == {early, late}


def test_restored_run_is_not_listed(store: TrackingStore, clock: ManualClock) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id).info.run_id
    store.delete_run(run_id)
    store.restore_run(run_id)
    clock.advance(1_000)

    assert store.list_deleted_runs() == []


@pytest.mark.parametrize(
    ("older_than_ms", "listed"),
    [(None, True), (0, True), (2_000, True), (2_001, False)],
)
def test_list_deleted_experiments_by_age(
    store: TrackingStore, clock: ManualClock, older_than_ms: int | None, listed: bool
) -> None:
    deleted = store.create_experiment("gone")
    store.create_experiment("kept")
    clock.advance(3_000)
    store.delete_experiment(deleted)
    clock.advance(2_000)

    found = store.list_deleted_experiments(older_than_ms=older_than_ms)

    assert [e.experiment_id for e in found] == ([deleted] if listed else [])
    assert all(e.lifecycle_stage is LifecycleStage.DELETED for e in found)


def test_purge_run_removes_everything_of_that_run_only(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    doomed = _full_run(store, experiment_id, "doomed")
    survivor = _full_run(store, experiment_id, "survivor")
    before = store.get_run(survivor)
    store.delete_run(doomed)

    store.purge_run(doomed)

    with pytest.raises(NotFound):
        store.get_run(doomed)
    with pytest.raises(NotFound):
        store.get_metric_history(doomed, "loss")
    with pytest.raises(NotFound):
        store.restore_run(doomed)
    with pytest.raises(NotFound):
        store.log_metric(doomed, Metric("loss", 1.0, 1))
    assert store.list_deleted_runs() == []
    everything = search_all_runs(store, [experiment_id], view=ViewType.ALL)
    assert [run.info.run_id for run in everything] == [survivor]
    assert store.get_run(survivor) == before
    assert len(store.get_metric_history(survivor, "loss")) == 5


def test_purge_active_run_raises_invalid_state(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = _full_run(store, experiment_id, "alive")

    with pytest.raises(InvalidState):
        store.purge_run(run_id)
    assert store.get_run(run_id).data.params == {"lr": "0.1"}


def test_purge_missing_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.purge_run("0" * 32)


def test_purge_experiment_removes_it_and_its_runs(store: TrackingStore) -> None:
    doomed = store.create_experiment("doomed", tags=[ExperimentTag("k", "v")])
    runs = [_full_run(store, doomed, f"r{i}") for i in range(3)]
    store.delete_run(runs[0])  # deleted before the experiment: purged all the same
    kept_experiment = store.create_experiment("kept")
    kept_run = _full_run(store, kept_experiment, "kept")
    store.delete_experiment(doomed)

    store.purge_experiment(doomed)

    with pytest.raises(NotFound):
        store.get_experiment(doomed)
    assert store.get_experiment_by_name("doomed") is None
    for run_id in runs:
        with pytest.raises(NotFound):
            store.get_run(run_id)
    assert store.list_deleted_experiments() == []
    assert store.list_deleted_runs() == []
    all_ids = {e.experiment_id for e in store.search_experiments(view_type=ViewType.ALL)}
    assert doomed not in all_ids
    assert store.get_run(kept_run).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_purged_experiment_name_can_be_reused(store: TrackingStore, artifact_root: str) -> None:
    old = store.create_experiment("reused", tags=[ExperimentTag("k", "old")])
    store.create_run(old)
    store.delete_experiment(old)
    store.purge_experiment(old)

    new = store.create_experiment("reused")

    assert new != old
    experiment = store.get_experiment(new)
    assert experiment.name == "reused"
    assert experiment.tags == {}
    assert experiment.lifecycle_stage is LifecycleStage.ACTIVE
    assert search_all_runs(store, [new], view=ViewType.ALL) == []


def test_purge_active_experiment_raises_invalid_state(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("alive")
    run_id = store.create_run(experiment_id).info.run_id

    with pytest.raises(InvalidState):
        store.purge_experiment(experiment_id)
    assert store.get_experiment(experiment_id).name == "alive"
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_purge_missing_experiment_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.purge_experiment("424242")
