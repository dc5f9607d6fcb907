"""RegistryStore contract: model versions — numbering, sources, stages, tags, lineage, gc help."""

from __future__ import annotations

import pytest

from trackstone.clock import ManualClock
from trackstone.entities import Dataset, DatasetInput, Metric, Param, RunTag
from trackstone.entities.registry import ModelVersionStage, ModelVersionStatus, ModelVersionTag
from trackstone.errors import InvalidParameter, NotFound
from trackstone.store.base import TrackingStore
from trackstone.store.logged_models import logged_models_of
from trackstone.store.registry import RegistryStore


@pytest.fixture
def churn(registry: RegistryStore) -> RegistryStore:
    """The registry with one empty model named ``churn``."""
    registry.create_registered_model("churn")
    return registry


def _run_id(store: TrackingStore) -> str:
    found = store.get_experiment_by_name("training")
    experiment_id = found.experiment_id if found else store.create_experiment("training")
    return store.create_run(experiment_id).info.run_id


def test_create_then_get_round_trips(
    store: TrackingStore, churn: RegistryStore, clock: ManualClock
) -> None:
    run_id = _run_id(store)
    clock.advance(1_000)

    created = churn.create_model_version(
        "churn",
        "s3://bucket/model",
        run_id=run_id,
        tags=[ModelVersionTag("framework", "sklearn")],
        run_link="http://example/run",
        description="first",
        user_id="ana",
    )

    assert churn.get_model_version("churn", "1") == created
    assert created.version == "1"
    assert created.run_id == run_id
    assert created.source == created.storage_location == "s3://bucket/model"
    assert created.status is ModelVersionStatus.READY
    assert created.current_stage is ModelVersionStage.NONE
    assert (created.description, created.user_id, created.run_link) == (
        "first",
        "ana",
        "http://example/run",
    )
    assert dict(created.tags) == {"framework": "sklearn"}
    assert created.creation_timestamp == clock.now_ms()
    assert churn.get_registered_model("churn").last_updated_timestamp == clock.now_ms()


def test_version_numbers_are_never_reused(churn: RegistryStore) -> None:
    for number in range(1, 4):
        churn.create_model_version("churn", f"s3://bucket/{number}")
    churn.delete_model_version("churn", 3)
    churn.delete_model_version("churn", 2)

    fourth = churn.create_model_version("churn", "s3://bucket/4")
    fifth = churn.create_model_version("churn", "s3://bucket/5")

    assert (fourth.version, fifth.version) == ("4", "5")
    assert [v.version for v in churn.search_model_versions("name = 'churn'")] == ["5", "4", "1"]


@pytest.mark.parametrize(
    ("touch", "expected"),
    [
        (None, ["churn/3", "churn/2", "aaa/1", "churn/1"]),
        ("describe", ["churn/1", "churn/3", "churn/2", "aaa/1"]),
        ("stage", ["churn/1", "churn/3", "churn/2", "aaa/1"]),
        ("tag", ["churn/3", "churn/2", "aaa/1", "churn/1"]),
    ],
)
def test_versions_come_last_updated_first_by_default(
    churn: RegistryStore, clock: ManualClock, touch: str | None, expected: list[str]
) -> None:
    # MLflow's default: last_updated_timestamp DESC, then name ASC, version_number DESC.
    churn.create_registered_model("aaa")
    churn.create_model_version("aaa", "s3://bucket/a1")  # same time as churn/1: name breaks it
    for number in range(1, 4):
        churn.create_model_version("churn", f"s3://bucket/{number}")
        clock.advance(1_000)
    if touch == "describe":
        churn.update_model_version("churn", 1, "tuned")
    elif touch == "stage":
        churn.transition_model_version_stage("churn", 1, "Staging")
    elif touch == "tag":  # tags do not change a version's last_updated_timestamp
        churn.set_model_version_tag("churn", 1, ModelVersionTag("k", "v"))

    found = churn.search_model_versions()
    paged = []
    token = None
    while True:
        page = churn.search_model_versions(max_results=1, page_token=token)
        paged += [f"{v.name}/{v.version}" for v in page]
        token = page.token
        if token is None:
            break

    assert [f"{v.name}/{v.version}" for v in found] == expected
    assert paged == expected


def test_versions_count_per_model(registry: RegistryStore) -> None:
    registry.create_registered_model("a")
    registry.create_registered_model("b")
    registry.create_model_version("a", "s3://bucket/a1")

    assert registry.create_model_version("b", "s3://bucket/b1").version == "1"
    assert registry.create_model_version("a", "s3://bucket/a2").version == "2"


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("missing model", NotFound, "nope"),
        ("empty source", InvalidParameter, "source"),
        ("missing run id", NotFound, "run_id"),
        ("missing run in source", NotFound, "source"),
        ("runs uri without run", InvalidParameter, "source"),
        ("missing logged model", NotFound, "m-00"),
        ("missing model_id", NotFound, "model_id"),
        ("models uri without version", InvalidParameter, "source"),
        ("models uri to missing version", NotFound, "source"),
        ("models uri to missing alias", InvalidParameter, "gold"),
        ("bad tag", InvalidParameter, "tags"),
    ],
)
def test_create_refuses_and_uses_no_number(
    churn: RegistryStore, case: str, error: type[Exception], message: str
) -> None:
    arguments: dict[str, object] = {"name": "churn", "source": "s3://bucket/x"}
    missing_run = "f" * 32
    changes: dict[str, dict[str, object]] = {
        "missing model": {"name": "nope"},
        "empty source": {"source": ""},
        "missing run id": {"run_id": missing_run},
        "missing run in source": {"source": f"runs:/{missing_run}/model"},
        "runs uri without run": {"source": "runs://model"},
        "missing logged model": {"source": "models:/m-00" + "0" * 30},
        "missing model_id": {"model_id": "m-11" + "1" * 30},
        "models uri without version": {"source": "models:/churn"},
        "models uri to missing version": {"source": "models:/churn/7"},
        "models uri to missing alias": {"source": "models:/churn@gold"},
        "bad tag": {"tags": [ModelVersionTag("", "x")]},
    }
    arguments.update(changes[case])

    with pytest.raises(error, match=message):
        churn.create_model_version(**arguments)  # type: ignore[arg-type]

    assert churn.create_model_version("churn", "s3://bucket/ok").version == "1"


def test_a_runs_source_resolves_to_the_runs_artifacts_and_fills_the_run(
    store: TrackingStore, churn: RegistryStore
) -> None:
    run = store.get_run(_run_id(store))

    created = churn.create_model_version("churn", f"runs:/{run.info.run_id}/model/sub")

    assert created.run_id == run.info.run_id
    assert created.storage_location == run.info.artifact_uri.rstrip("/") + "/model/sub"
    assert churn.get_model_version_download_uri("churn", 1) == created.storage_location


def test_a_logged_model_source_resolves_to_its_location(
    store: TrackingStore, churn: RegistryStore
) -> None:
    run_id = _run_id(store)
    experiment_id = store.get_run(run_id).info.experiment_id
    logged = logged_models_of(store).create_logged_model(experiment_id, source_run_id=run_id)

    created = churn.create_model_version("churn", f"models:/{logged.model_id}")

    assert created.storage_location == logged.artifact_location
    assert created.model_id == logged.model_id
    assert created.run_id == run_id


def test_a_model_id_argument_fills_the_run(store: TrackingStore, churn: RegistryStore) -> None:
    run_id = _run_id(store)
    experiment_id = store.get_run(run_id).info.experiment_id
    logged = logged_models_of(store).create_logged_model(experiment_id, source_run_id=run_id)

    created = churn.create_model_version("churn", "s3://bucket/m", model_id=logged.model_id)

    assert (created.model_id, created.run_id) == (logged.model_id, run_id)
    assert created.storage_location == "s3://bucket/m"


@pytest.mark.parametrize(
    "source",
    ["models:/churn/1", "models:/churn@champion", "models:/churn/latest", "models:/churn/staging"],
)
def test_a_registry_source_resolves_to_that_versions_location(
    churn: RegistryStore, source: str
) -> None:
    churn.create_model_version("churn", "s3://bucket/original")
    churn.set_registered_model_alias("churn", "champion", 1)
    churn.transition_model_version_stage("churn", 1, "Staging")

    copied = churn.create_model_version("churn", source)

    assert copied.source == source
    assert copied.storage_location == "s3://bucket/original"


@pytest.mark.parametrize("scheme", ["RUNS", "Runs", "rUnS"])
def test_a_runs_scheme_in_any_case_resolves_the_run(
    store: TrackingStore, churn: RegistryStore, scheme: str
) -> None:
    run = store.get_run(_run_id(store))
    source = f"{scheme}:/{run.info.run_id}/model"

    created = churn.create_model_version("churn", source)

    assert created.source == source
    assert created.run_id == run.info.run_id
    assert created.storage_location == run.info.artifact_uri.rstrip("/") + "/model"


@pytest.mark.parametrize(
    "source", ["MODELS:/churn/1", "Models:/churn@champion", "mOdElS:/churn/Latest"]
)
def test_a_models_scheme_in_any_case_resolves_the_version(
    churn: RegistryStore, source: str
) -> None:
    churn.create_model_version("churn", "s3://bucket/original")
    churn.set_registered_model_alias("churn", "champion", 1)

    copied = churn.create_model_version("churn", source)

    assert copied.storage_location == "s3://bucket/original"


def test_a_logged_model_scheme_in_any_case_resolves(
    store: TrackingStore, churn: RegistryStore
) -> None:
    run_id = _run_id(store)
    experiment_id = store.get_run(run_id).info.experiment_id
    logged = logged_models_of(store).create_logged_model(experiment_id, source_run_id=run_id)

    created = churn.create_model_version("churn", f"MODELS:/{logged.model_id}")

    assert (created.storage_location, created.model_id, created.run_id) == (
        logged.artifact_location,
        logged.model_id,
        run_id,
    )


@pytest.mark.parametrize(
    ("source", "error"),
    [("RUNS:/" + "f" * 32 + "/model", NotFound), ("Models:/churn", InvalidParameter)],
)
def test_a_bad_uri_in_upper_case_is_still_refused(
    churn: RegistryStore, source: str, error: type[Exception]
) -> None:
    with pytest.raises(error, match="source"):
        churn.create_model_version("churn", source)


@pytest.mark.parametrize("version", ["abc", "1.5", "-1", "0", "", True, 1.0])
def test_a_version_that_is_not_a_positive_integer_is_refused(
    churn: RegistryStore, version: object
) -> None:
    churn.create_model_version("churn", "s3://bucket/1")

    with pytest.raises(InvalidParameter, match="version"):
        churn.get_model_version("churn", version)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "message"), [("churn", "version 9"), ("nope", "nope")])
def test_a_missing_version_or_model_is_not_found(
    churn: RegistryStore, name: str, message: str
) -> None:
    churn.create_model_version("churn", "s3://bucket/1")

    with pytest.raises(NotFound, match=message):
        churn.get_model_version(name, 9)


def test_update_sets_the_description(churn: RegistryStore, clock: ManualClock) -> None:
    created = churn.create_model_version("churn", "s3://bucket/1")
    clock.advance(3_000)

    updated = churn.update_model_version("churn", 1, "better")

    assert updated.description == "better"
    assert updated.last_updated_timestamp == created.creation_timestamp + 3_000
    assert churn.get_model_version("churn", 1).description == "better"


# -- stages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("archive", "expected"),
    [
        (False, ["Production", "Production", "Staging", "Production"]),
        (True, ["Archived", "Archived", "Staging", "Production"]),
    ],
)
def test_transition_archives_the_others_of_that_stage_only_when_asked(
    churn: RegistryStore, archive: bool, expected: list[str]
) -> None:
    for number, stage in enumerate(["Production", "Production", "Staging", "None"], start=1):
        churn.create_model_version("churn", f"s3://bucket/{number}")
        if stage != "None":
            churn.transition_model_version_stage("churn", number, stage)

    moved = churn.transition_model_version_stage("churn", 4, "production", archive)

    assert moved.current_stage is ModelVersionStage.PRODUCTION
    stages = [churn.get_model_version("churn", n).current_stage.value for n in range(1, 5)]
    assert stages == expected


@pytest.mark.parametrize(
    ("stage", "archive", "message"),
    [
        ("Archived", True, "archive_existing_versions"),
        ("None", True, "archive"),
        ("Live", False, "stage"),
    ],
)
def test_transition_refuses(churn: RegistryStore, stage: str, archive: bool, message: str) -> None:
    churn.create_model_version("churn", "s3://bucket/1")

    with pytest.raises(InvalidParameter, match=message):
        churn.transition_model_version_stage("churn", 1, stage, archive)

    assert churn.get_model_version("churn", 1).current_stage is ModelVersionStage.NONE


def test_transition_of_a_missing_version_is_not_found(churn: RegistryStore) -> None:
    with pytest.raises(NotFound):
        churn.transition_model_version_stage("churn", 1, "Staging")


# -- tags and delete -------------------------------------------------------------------


def test_version_tags_are_set_overwritten_and_deleted(churn: RegistryStore) -> None:
    churn.create_model_version("churn", "s3://bucket/1", tags=[ModelVersionTag("a", "1")])

    churn.set_model_version_tag("churn", 1, ModelVersionTag("b", "2"))
    churn.set_model_version_tag("churn", "1", ModelVersionTag("a", "3"))
    churn.delete_model_version_tag("churn", 1, "b")

    assert dict(churn.get_model_version("churn", 1).tags) == {"a": "3"}
    with pytest.raises(NotFound):
        churn.set_model_version_tag("churn", 2, ModelVersionTag("a", "1"))


def test_deleting_a_tag_the_version_does_not_have_is_a_no_op(churn: RegistryStore) -> None:
    # MLflow answers success here; only the version has to exist.
    churn.create_model_version("churn", "s3://bucket/1", tags=[ModelVersionTag("a", "1")])

    churn.delete_model_version_tag("churn", 1, "b")

    assert dict(churn.get_model_version("churn", 1).tags) == {"a": "1"}


@pytest.mark.parametrize(("name", "version", "message"), [("churn", 2, "2"), ("nope", 1, "nope")])
def test_deleting_a_tag_of_a_missing_version_is_not_found(
    churn: RegistryStore, name: str, version: int, message: str
) -> None:
    churn.create_model_version("churn", "s3://bucket/1", tags=[ModelVersionTag("a", "1")])

    with pytest.raises(NotFound, match=message):
        churn.delete_model_version_tag(name, version, "a")


def test_delete_version_removes_it_and_its_tags(churn: RegistryStore) -> None:
    churn.create_model_version("churn", "s3://bucket/1", tags=[ModelVersionTag("a", "1")])

    churn.delete_model_version("churn", 1)

    with pytest.raises(NotFound):
        churn.get_model_version("churn", 1)
    with pytest.raises(NotFound):
        churn.delete_model_version("churn", 1)
    assert churn.get_registered_model("churn").latest_versions == ()


# -- lineage and gc --------------------------------------------------------------------


def test_lineage_brings_the_run_and_its_experiment(
    store: TrackingStore, churn: RegistryStore
) -> None:
    run_id = _run_id(store)
    store.log_batch(
        run_id,
        metrics=[Metric("acc", 0.91, timestamp=0, step=0)],
        params=[Param("C", "1.0")],
        tags=[RunTag("team", "growth")],
    )
    dataset = Dataset(name="train", digest="abc", source_type="local", source="train.csv")
    store.log_inputs(run_id, [DatasetInput(dataset)])
    churn.create_model_version("churn", f"runs:/{run_id}/model")

    lineage = churn.get_model_version_lineage("churn", 1)

    assert lineage.model_version == churn.get_model_version("churn", 1)
    assert lineage.run is not None and lineage.experiment is not None
    assert lineage.run.info.run_id == run_id
    assert lineage.run.data.metrics == {"acc": 0.91}
    assert lineage.run.data.params == {"C": "1.0"}
    assert lineage.run.data.tags["team"] == "growth"
    assert [i.dataset.name for i in lineage.run.inputs.dataset_inputs] == ["train"]
    assert lineage.experiment.name == "training"


@pytest.mark.parametrize("case", ["no run", "purged run"])
def test_lineage_without_a_run(store: TrackingStore, churn: RegistryStore, case: str) -> None:
    run_id = _run_id(store)
    if case == "no run":
        churn.create_model_version("churn", "s3://bucket/1")
    else:
        # A run a version needs cannot be purged; a logged model's purged source run can be
        # named by a version registered from the model afterwards.
        experiment_id = store.get_run(run_id).info.experiment_id
        logged = logged_models_of(store).create_logged_model(experiment_id, source_run_id=run_id)
        store.delete_run(run_id)
        store.purge_run(run_id)
        churn.create_model_version("churn", f"models:/{logged.model_id}")
        assert churn.get_model_version("churn", 1).run_id == run_id

    lineage = churn.get_model_version_lineage("churn", 1)

    assert (lineage.run, lineage.experiment) == (None, None)
    assert lineage.model_version.version == "1"


def test_run_ids_in_use_names_runs_versions_need(
    store: TrackingStore, churn: RegistryStore
) -> None:
    by_run_id, by_location, by_source, unused = (_run_id(store) for _ in range(4))
    churn.create_model_version("churn", "s3://bucket/x", run_id=by_run_id)
    location = store.get_run(by_location).info.artifact_uri.rstrip("/") + "/model"
    churn.create_model_version("churn", location)
    churn.create_model_version("churn", f"runs:/{by_source}/model")

    used = churn.run_ids_in_use([by_run_id, by_location, by_source, unused, "f" * 32])

    assert used == {by_run_id, by_location, by_source}


def test_run_ids_in_use_forgets_deleted_versions(
    store: TrackingStore, churn: RegistryStore
) -> None:
    run_id = _run_id(store)
    churn.create_model_version("churn", f"runs:/{run_id}/model")

    churn.delete_model_version("churn", 1)

    assert churn.run_ids_in_use([run_id]) == set()
