"""TrackingStore contract: creating, reading, renaming, tagging, deleting experiments."""

from __future__ import annotations

import pytest

from trackstone.clock import ManualClock
from trackstone.entities import (
    DEFAULT_EXPERIMENT_ID,
    ExperimentTag,
    LifecycleStage,
    ViewType,
)
from trackstone.errors import AlreadyExists, InvalidParameter, InvalidState, NotFound
from trackstone.store.base import TrackingStore


def test_default_experiment_exists_in_a_new_store(store: TrackingStore, artifact_root: str) -> None:
    default = store.get_experiment(DEFAULT_EXPERIMENT_ID)

    assert default.experiment_id == "0"
    assert default.name == "Default"
    assert default.lifecycle_stage is LifecycleStage.ACTIVE
    assert default.artifact_location == f"{artifact_root}/0"
    assert store.get_experiment_by_name("Default") == default


def test_create_then_get_returns_what_was_stored(
    store: TrackingStore, clock: ManualClock, artifact_root: str
) -> None:
    experiment_id = store.create_experiment(
        "exp-a", tags=[ExperimentTag("team", "vision"), ExperimentTag("owner", "ana")]
    )

    experiment = store.get_experiment(experiment_id)

    assert isinstance(experiment_id, str)
    assert experiment.experiment_id == experiment_id
    assert experiment.name == "exp-a"
    assert experiment.artifact_location == f"{artifact_root}/{experiment_id}"
    assert experiment.lifecycle_stage is LifecycleStage.ACTIVE
    assert experiment.tags == {"team": "vision", "owner": "ana"}
    assert experiment.creation_time == clock.now_ms()
    assert experiment.last_update_time == clock.now_ms()
    assert store.get_experiment_by_name("exp-a") == experiment


def test_experiment_ids_are_distinct(store: TrackingStore) -> None:
    ids = {store.create_experiment(f"exp-{i}") for i in range(5)}

    assert len(ids) == 5
    assert DEFAULT_EXPERIMENT_ID not in ids


def test_explicit_artifact_location_is_kept(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp-a", artifact_location="s3://bucket/some/place")

    assert store.get_experiment(experiment_id).artifact_location == "s3://bucket/some/place"


@pytest.mark.parametrize("missing_id", ["999999", "12345678901234"])
def test_get_missing_experiment_raises_not_found(store: TrackingStore, missing_id: str) -> None:
    with pytest.raises(NotFound):
        store.get_experiment(missing_id)


@pytest.mark.parametrize("bad_id", ["not-a-number", "", "1; DROP TABLE runs", "1" * 30])
def test_get_malformed_experiment_id_is_a_clean_error(store: TrackingStore, bad_id: str) -> None:
    # Either answer is fine for an id that can never exist; a database error is not.
    with pytest.raises((NotFound, InvalidParameter)):
        store.get_experiment(bad_id)


@pytest.mark.parametrize("name", ["nope", "default", "Default ", "exp-%"])
def test_get_by_missing_name_returns_none(store: TrackingStore, name: str) -> None:
    store.create_experiment("exp-a")

    assert store.get_experiment_by_name(name) is None


def test_get_by_name_is_exact_and_case_sensitive(store: TrackingStore) -> None:
    lower = store.create_experiment("exp")
    upper = store.create_experiment("EXP")

    assert store.get_experiment(lower).name == "exp"
    found_lower = store.get_experiment_by_name("exp")
    found_upper = store.get_experiment_by_name("EXP")
    assert found_lower is not None and found_lower.experiment_id == lower
    assert found_upper is not None and found_upper.experiment_id == upper


def test_duplicate_name_raises_already_exists(store: TrackingStore) -> None:
    store.create_experiment("exp-a")

    with pytest.raises(AlreadyExists, match="exp-a"):
        store.create_experiment("exp-a")


def test_name_of_a_deleted_experiment_is_still_taken(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp-a")
    store.delete_experiment(experiment_id)

    with pytest.raises(AlreadyExists):
        store.create_experiment("exp-a")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("x" * 501, id="too-long"),
        pytest.param(None, id="none"),
        pytest.param(42, id="not-a-string"),
    ],
)
def test_invalid_names_are_refused(store: TrackingStore, name: object) -> None:
    with pytest.raises(InvalidParameter, match="name"):
        store.create_experiment(name)  # type: ignore[arg-type]


def test_longest_and_unicode_names_round_trip(store: TrackingStore) -> None:
    names = ["x" * 500, "résumé · 実験 🚀", "with 'quotes' and \"doubles\"", "a%b_c\\d"]
    ids = [store.create_experiment(name) for name in names]

    assert [store.get_experiment(i).name for i in ids] == names
    found = [store.get_experiment_by_name(name) for name in names]
    assert [e.experiment_id if e else None for e in found] == ids


def test_rename(store: TrackingStore, clock: ManualClock) -> None:
    experiment_id = store.create_experiment("old")
    clock.advance(5_000)

    store.rename_experiment(experiment_id, "new")

    experiment = store.get_experiment(experiment_id)
    assert experiment.name == "new"
    assert experiment.last_update_time == clock.now_ms()
    assert store.get_experiment_by_name("old") is None
    found = store.get_experiment_by_name("new")
    assert found is not None and found.experiment_id == experiment_id


def test_rename_frees_the_old_name(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("old")
    store.rename_experiment(experiment_id, "new")

    other = store.create_experiment("old")

    assert other != experiment_id


def test_rename_to_a_taken_name_raises_already_exists(store: TrackingStore) -> None:
    store.create_experiment("a")
    experiment_id = store.create_experiment("b")

    with pytest.raises(AlreadyExists):
        store.rename_experiment(experiment_id, "a")
    assert store.get_experiment(experiment_id).name == "b"


@pytest.mark.parametrize("new_name", ["", "  ", "x" * 501])
def test_rename_to_an_invalid_name_raises_invalid_parameter(
    store: TrackingStore, new_name: str
) -> None:
    experiment_id = store.create_experiment("b")

    with pytest.raises(InvalidParameter):
        store.rename_experiment(experiment_id, new_name)
    assert store.get_experiment(experiment_id).name == "b"


def test_rename_missing_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.rename_experiment("424242", "x")


def test_rename_deleted_raises_invalid_state(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("b")
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidState):
        store.rename_experiment(experiment_id, "c")
    assert store.get_experiment(experiment_id).name == "b"


def test_tags_set_overwrite_delete(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp", tags=[ExperimentTag("a", "1")])

    store.set_experiment_tag(experiment_id, ExperimentTag("b", "2"))
    store.set_experiment_tag(experiment_id, ExperimentTag("a", "overwritten"))
    assert store.get_experiment(experiment_id).tags == {"a": "overwritten", "b": "2"}

    store.delete_experiment_tag(experiment_id, "a")
    assert store.get_experiment(experiment_id).tags == {"b": "2"}


def test_tag_values_up_to_the_limit_are_kept_whole(store: TrackingStore) -> None:
    value = "€" * 8000  # multi-byte characters: a byte limit would cut these
    experiment_id = store.create_experiment("exp")

    store.set_experiment_tag(experiment_id, ExperimentTag("k.with spaces/and:colons", value))

    assert store.get_experiment(experiment_id).tags == {"k.with spaces/and:colons": value}


@pytest.mark.parametrize(
    "value",
    [
        "",
        'quote " and backslash \\',
        "new\nline\ttab\rreturn",
        "line separator \u2028 and emoji \U0001f600",
        '{"looks": ["like", "json"]}',
    ],
)
def test_awkward_tag_values_come_back_exactly(store: TrackingStore, value: str) -> None:
    experiment_id = store.create_experiment("exp", tags=[ExperimentTag("k", value)])

    by_name = store.get_experiment_by_name("exp")

    assert store.get_experiment(experiment_id).tags == {"k": value}
    assert by_name is not None and by_name.tags == {"k": value}


def test_tags_belong_to_one_experiment(store: TrackingStore) -> None:
    first = store.create_experiment("first", tags=[ExperimentTag("k", "1")])
    second = store.create_experiment("second")

    store.set_experiment_tag(second, ExperimentTag("k", "2"))

    assert store.get_experiment(first).tags == {"k": "1"}
    assert store.get_experiment(second).tags == {"k": "2"}


def test_delete_missing_tag_raises_not_found(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp", tags=[ExperimentTag("a", "1")])

    with pytest.raises(NotFound):
        store.delete_experiment_tag(experiment_id, "b")
    assert store.get_experiment(experiment_id).tags == {"a": "1"}


def test_tag_on_missing_experiment_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.set_experiment_tag("424242", ExperimentTag("a", "1"))


def test_tag_on_deleted_experiment_raises_invalid_state(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidState):
        store.set_experiment_tag(experiment_id, ExperimentTag("a", "1"))


def test_delete_and_restore_take_the_runs_along(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    runs = [store.create_run(experiment_id).info.run_id for _ in range(3)]
    other_experiment = store.create_experiment("other")
    bystander = store.create_run(other_experiment).info.run_id

    store.delete_experiment(experiment_id)

    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED
    assert [store.get_run(r).info.lifecycle_stage for r in runs] == [LifecycleStage.DELETED] * 3
    assert store.get_run(bystander).info.lifecycle_stage is LifecycleStage.ACTIVE

    store.restore_experiment(experiment_id)

    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.ACTIVE
    assert [store.get_run(r).info.lifecycle_stage for r in runs] == [LifecycleStage.ACTIVE] * 3


def test_restore_brings_back_only_the_runs_deleted_with_the_experiment(
    store: TrackingStore, clock: ManualClock
) -> None:
    experiment_id = store.create_experiment("exp")
    deleted_before = store.create_run(experiment_id).info.run_id
    deleted_with = store.create_run(experiment_id).info.run_id
    store.delete_run(deleted_before)
    clock.advance(1_000)

    store.delete_experiment(experiment_id)
    clock.advance(1_000)
    store.restore_experiment(experiment_id)

    assert store.get_run(deleted_with).info.lifecycle_stage is LifecycleStage.ACTIVE
    assert store.get_run(deleted_before).info.lifecycle_stage is LifecycleStage.DELETED


def test_deleted_experiment_is_hidden_from_active_search(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    store.delete_experiment(experiment_id)

    def ids(view: ViewType) -> set[str]:
        return {e.experiment_id for e in store.search_experiments(view_type=view)}

    assert experiment_id not in ids(ViewType.ACTIVE_ONLY)
    assert experiment_id in ids(ViewType.DELETED_ONLY)
    assert experiment_id in ids(ViewType.ALL)
    # get by id and by name still see deleted experiments
    assert store.get_experiment(experiment_id).name == "exp"
    found = store.get_experiment_by_name("exp")
    assert found is not None and found.lifecycle_stage is LifecycleStage.DELETED


@pytest.mark.parametrize("operation", ["delete_experiment", "restore_experiment"])
def test_delete_or_restore_missing_raises_not_found(store: TrackingStore, operation: str) -> None:
    with pytest.raises(NotFound):
        getattr(store, operation)("424242")


def test_create_run_in_deleted_then_restored_experiment(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    store.delete_experiment(experiment_id)
    store.restore_experiment(experiment_id)

    run = store.create_run(experiment_id)

    assert run.info.experiment_id == experiment_id
