"""TrackingStore contract: creating, reading, updating, deleting and restoring runs."""

from __future__ import annotations

import pytest

from support.tracking import make_run, search_all_runs
from trackstone.clock import ManualClock
from trackstone.entities import (
    DATASET_CONTEXT_TAG,
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    RunStatus,
    RunTag,
    ViewType,
)
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput
from trackstone.errors import InvalidParameter, InvalidState, NotFound
from trackstone.store.base import TrackingStore
from trackstone.store.logged_models import logged_models_of

RUN_NAME_TAG = "mlflow.runName"


def test_create_run_records_its_info(store: TrackingStore, clock: ManualClock) -> None:
    experiment_id = store.create_experiment("exp")

    run = store.create_run(experiment_id, user_id="ana", run_name="first")

    info = run.info
    assert info.run_id
    assert info.experiment_id == experiment_id
    assert info.run_name == "first"
    assert info.user_id == "ana"
    assert info.status is RunStatus.RUNNING
    assert info.start_time == clock.now_ms()
    assert info.end_time is None
    assert info.lifecycle_stage is LifecycleStage.ACTIVE
    assert run.data.tags[RUN_NAME_TAG] == "first"
    assert store.get_run(info.run_id) == run


def test_explicit_start_time_and_tags_are_kept(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")

    run = store.create_run(
        experiment_id,
        start_time=1_234,
        tags=[RunTag("team", "vision"), RunTag("mlflow.user", "ana")],
        run_name="named",
    )

    stored = store.get_run(run.info.run_id)
    assert stored.info.start_time == 1_234
    assert stored.data.tags == {"team": "vision", "mlflow.user": "ana", RUN_NAME_TAG: "named"}
    assert stored.data.params == {}
    assert stored.data.latest_metrics == ()


def test_run_ids_are_distinct(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")

    ids = {store.create_run(experiment_id).info.run_id for _ in range(20)}

    assert len(ids) == 20


def test_missing_name_is_generated_and_mirrored_in_the_tag(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")

    runs = [store.create_run(experiment_id) for _ in range(3)]

    for run in runs:
        stored = store.get_run(run.info.run_id)
        assert stored.info.run_name.strip()
        assert stored.data.tags[RUN_NAME_TAG] == stored.info.run_name


def test_name_tag_names_the_run(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")

    run = store.create_run(experiment_id, tags=[RunTag(RUN_NAME_TAG, "from-tag")])

    stored = store.get_run(run.info.run_id)
    assert stored.info.run_name == "from-tag"
    assert stored.data.tags[RUN_NAME_TAG] == "from-tag"


@pytest.mark.parametrize(
    ("artifact_location", "expected_prefix"),
    [(None, "{root}/{experiment_id}"), ("s3://bucket/exp", "s3://bucket/exp")],
)
def test_artifact_uri_is_under_the_experiment_location(
    store: TrackingStore,
    artifact_root: str,
    artifact_location: str | None,
    expected_prefix: str,
) -> None:
    experiment_id = store.create_experiment("exp", artifact_location=artifact_location)
    prefix = expected_prefix.format(root=artifact_root, experiment_id=experiment_id)

    run = store.create_run(experiment_id)

    assert run.info.artifact_uri == f"{prefix}/{run.info.run_id}/artifacts"
    assert store.get_run(run.info.run_id).info.artifact_uri == run.info.artifact_uri


def test_create_run_in_missing_experiment_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.create_run("424242")


def test_create_run_in_deleted_experiment_raises_invalid_state(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidState):
        store.create_run(experiment_id)
    assert search_all_runs(store, [experiment_id], view=ViewType.ALL) == []


@pytest.mark.parametrize("run_name", ["x" * 251])
def test_overlong_run_name_is_refused(store: TrackingStore, run_name: str) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id, run_name="ok").info.run_id

    with pytest.raises(InvalidParameter, match="name"):
        store.create_run(experiment_id, run_name=run_name)
    with pytest.raises(InvalidParameter, match="name"):
        store.update_run_info(run_id, run_name=run_name)
    assert store.get_run(run_id).info.run_name == "ok"


def test_longest_run_name_is_kept_whole(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    name = "é" * 250

    run = store.create_run(experiment_id, run_name=name)

    assert store.get_run(run.info.run_id).info.run_name == name


@pytest.mark.parametrize("run_id", ["0" * 32, "does-not-exist"])
def test_get_missing_run_raises_not_found(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(NotFound):
        store.get_run(run_id)


def test_get_run_with_empty_id_is_a_clean_error(store: TrackingStore) -> None:
    # An empty id can never exist; refusing it as a bad parameter is as good as NotFound.
    with pytest.raises((NotFound, InvalidParameter)):
        store.get_run("")


def test_update_status_and_end_time(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run = store.create_run(experiment_id, run_name="r")

    info = store.update_run_info(run.info.run_id, status=RunStatus.FINISHED, end_time=9_999)

    assert info.status is RunStatus.FINISHED
    assert info.end_time == 9_999
    assert info.run_name == "r"
    assert store.get_run(run.info.run_id).info == info


def test_update_with_nothing_changes_nothing(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run = store.create_run(experiment_id, run_name="r")
    store.update_run_info(run.info.run_id, status=RunStatus.FAILED, end_time=5)

    info = store.update_run_info(run.info.run_id)

    assert (info.status, info.end_time, info.run_name) == (RunStatus.FAILED, 5, "r")


@pytest.mark.parametrize("status", list(RunStatus))
def test_every_status_is_stored(store: TrackingStore, status: RunStatus) -> None:
    experiment_id = store.create_experiment("exp")
    run = store.create_run(experiment_id)

    store.update_run_info(run.info.run_id, status=status)

    assert store.get_run(run.info.run_id).info.status is status


def test_rename_run_updates_the_name_tag(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run = store.create_run(experiment_id, run_name="before")

    info = store.update_run_info(run.info.run_id, run_name="after")

    stored = store.get_run(run.info.run_id)
    assert info.run_name == "after"
    assert stored.info.run_name == "after"
    assert stored.data.tags[RUN_NAME_TAG] == "after"
    assert stored.info.status is RunStatus.RUNNING


def test_update_missing_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.update_run_info("0" * 32, status=RunStatus.FINISHED)


def test_delete_and_restore_run(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    kept = store.create_run(experiment_id).info.run_id
    run_id = store.create_run(experiment_id).info.run_id

    store.delete_run(run_id)

    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    assert store.get_run(kept).info.lifecycle_stage is LifecycleStage.ACTIVE

    store.restore_run(run_id)

    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.ACTIVE


@pytest.mark.parametrize("operation", ["delete_run", "restore_run"])
def test_delete_or_restore_missing_run_raises_not_found(
    store: TrackingStore, operation: str
) -> None:
    with pytest.raises(NotFound):
        getattr(store, operation)("0" * 32)


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (ViewType.ACTIVE_ONLY, {"active"}),
        (ViewType.DELETED_ONLY, {"deleted"}),
        (ViewType.ALL, {"active", "deleted"}),
    ],
)
def test_view_types(store: TrackingStore, view: ViewType, expected: set[str]) -> None:
    experiment_id = store.create_experiment("exp")
    store.create_run(experiment_id, run_name="active")
    deleted = store.create_run(experiment_id, run_name="deleted")
    store.delete_run(deleted.info.run_id)

    found = search_all_runs(store, [experiment_id], view=view)

    assert {run.info.run_name for run in found} == expected


def test_get_run_returns_data_and_inputs(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run = make_run(
        store,
        experiment_id,
        run_name="full",
        metrics=[
            Metric("loss", 0.5, 100, 0),
            Metric("loss", 0.25, 200, 1),
            Metric("acc", 0.9, 150),
        ],
        params={"lr": "0.01", "layers": "3"},
        tags={"team": "vision"},
    )
    dataset = Dataset(
        name="mnist", digest="d1", source_type="local", source="/data/mnist", schema='{"a": 1}'
    )
    store.log_inputs(
        run.info.run_id,
        [DatasetInput(dataset, (InputTag(DATASET_CONTEXT_TAG, "training"),))],
    )

    stored = store.get_run(run.info.run_id)

    assert sorted(stored.data.latest_metrics, key=lambda m: m.key) == [
        Metric("acc", 0.9, 150, 0),
        Metric("loss", 0.25, 200, 1),
    ]
    assert stored.data.metrics == {"loss": 0.25, "acc": 0.9}
    assert stored.data.params == {"lr": "0.01", "layers": "3"}
    assert stored.data.tags == {"team": "vision", RUN_NAME_TAG: "full"}
    assert len(stored.inputs.dataset_inputs) == 1
    dataset_input = stored.inputs.dataset_inputs[0]
    assert dataset_input.dataset == dataset
    assert dataset_input.context == "training"


def test_runs_do_not_share_data(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    first = make_run(store, experiment_id, params={"p": "1"}, tags={"t": "1"})
    second = make_run(
        store, experiment_id, metrics=[Metric("m", 2.0, 1)], params={"p": "2"}, tags={"t": "2"}
    )

    assert store.get_run(first.info.run_id).data.params == {"p": "1"}
    assert store.get_run(first.info.run_id).data.latest_metrics == ()
    assert store.get_run(second.info.run_id).data.params == {"p": "2"}
    assert store.get_run(second.info.run_id).data.tags["t"] == "2"


def _dataset_input(name: str, digest: str, context: str | None) -> DatasetInput:
    tags = () if context is None else (InputTag(DATASET_CONTEXT_TAG, context),)
    return DatasetInput(Dataset(name=name, digest=digest, source_type="local", source=name), tags)


def _inputs(store: TrackingStore, run_id: str) -> set[tuple[str, str, str | None]]:
    inputs = store.get_run(run_id).inputs.dataset_inputs
    return {(i.dataset.name, i.dataset.digest, i.context) for i in inputs}


def test_log_inputs_is_idempotent(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id).info.run_id
    training = _dataset_input("mnist", "d1", "training")

    store.log_inputs(run_id, [training])
    store.log_inputs(run_id, [training, training])

    assert len(store.get_run(run_id).inputs.dataset_inputs) == 1
    assert _inputs(store, run_id) == {("mnist", "d1", "training")}


def test_log_inputs_keeps_each_dataset_and_context(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id).info.run_id
    other_run = store.create_run(experiment_id).info.run_id

    store.log_inputs(
        run_id,
        [
            _dataset_input("mnist", "d1", "training"),
            _dataset_input("mnist", "d1", "eval"),
            _dataset_input("mnist", "d2", "training"),
            _dataset_input("cifar", "c1", None),
        ],
    )
    store.log_inputs(other_run, [_dataset_input("mnist", "d1", "training")])

    assert _inputs(store, run_id) == {
        ("mnist", "d1", "training"),
        ("mnist", "d1", "eval"),
        ("mnist", "d2", "training"),
        ("cifar", "c1", None),
    }
    assert _inputs(store, other_run) == {("mnist", "d1", "training")}


def test_rename_run_whose_name_tag_was_deleted_brings_the_tag_back(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id, run_name="before").info.run_id
    store.delete_tag(run_id, RUN_NAME_TAG)

    store.update_run_info(run_id, run_name="after")

    stored = store.get_run(run_id)
    assert (stored.info.run_name, stored.data.tags[RUN_NAME_TAG]) == ("after", "after")


def test_log_inputs_to_missing_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.log_inputs("0" * 32, [_dataset_input("mnist", "d1", "training")])


def test_setting_the_name_tag_renames_the_run(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id, run_name="before").info.run_id

    store.set_tag(run_id, RunTag(RUN_NAME_TAG, "after"))

    stored = store.get_run(run_id)
    assert stored.info.run_name == "after"
    assert stored.data.tags[RUN_NAME_TAG] == "after"


def test_runs_list_the_logged_models_they_produced_and_consumed(store: TrackingStore) -> None:
    models = logged_models_of(store)
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id).info.run_id
    produced = models.create_logged_model(experiment_id, source_run_id=run_id).model_id
    elsewhere = "m-" + "e" * 32  # any id is taken, as MLflow does

    models.log_model_outputs(run_id, [LoggedModelOutput(produced, 3)])
    models.log_model_outputs(run_id, [LoggedModelOutput(produced, 9)])  # kept once, first step
    models.log_model_inputs(run_id, [LoggedModelInput(produced), LoggedModelInput(elsewhere)])
    models.log_model_inputs(run_id, [LoggedModelInput(elsewhere)])

    run = store.get_run(run_id)
    assert run.outputs.model_outputs == (LoggedModelOutput(produced, 3),)
    assert set(run.inputs.model_inputs) == {
        LoggedModelInput(produced),
        LoggedModelInput(elsewhere),
    }
    [found] = search_all_runs(store, [experiment_id])
    assert found.outputs.model_outputs == (LoggedModelOutput(produced, 3),)
    # runs/search leaves model inputs out, as MLflow does
    assert found.inputs.model_inputs == ()


def test_a_run_without_logged_models_lists_none(store: TrackingStore) -> None:
    run_id = store.create_run(store.create_experiment("exp")).info.run_id

    run = store.get_run(run_id)

    assert run.outputs.model_outputs == ()
    assert run.inputs.model_inputs == ()


@pytest.mark.parametrize("call", ["log_model_outputs", "log_model_inputs"])
@pytest.mark.parametrize(("case", "error"), [("missing", NotFound), ("deleted", InvalidState)])
def test_linking_models_needs_an_active_run(
    store: TrackingStore, call: str, case: str, error: type[Exception]
) -> None:
    models = logged_models_of(store)
    run_id = store.create_run(store.create_experiment("exp")).info.run_id
    if case == "missing":
        run_id = "0" * 32
    else:
        store.delete_run(run_id)
    model_id = "m-" + "1" * 32

    with pytest.raises(error):
        if call == "log_model_outputs":
            models.log_model_outputs(run_id, [LoggedModelOutput(model_id)])
        else:
            models.log_model_inputs(run_id, [LoggedModelInput(model_id)])
