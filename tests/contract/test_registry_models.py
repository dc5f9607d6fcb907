"""RegistryStore contract: registered models, their tags, aliases and latest versions."""

from __future__ import annotations

import pytest

from trackstone.clock import ManualClock
from trackstone.entities.registry import (
    ModelVersionStage,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from trackstone.errors import AlreadyExists, InvalidParameter, NotFound
from trackstone.store.registry import RegistryStore


def test_create_then_get_round_trips(registry: RegistryStore, clock: ManualClock) -> None:
    created = registry.create_registered_model(
        "churn",
        tags=[RegisteredModelTag("team", "growth"), RegisteredModelTag("tier", "gold")],
        description="predicts churn",
        user_id="ana",
    )

    fetched = registry.get_registered_model("churn")

    assert fetched == created
    assert fetched.name == "churn"
    assert fetched.description == "predicts churn"
    assert fetched.user_id == "ana"
    assert dict(fetched.tags) == {"team": "growth", "tier": "gold"}
    assert fetched.creation_timestamp == fetched.last_updated_timestamp == clock.now_ms()
    assert fetched.aliases == ()
    assert fetched.latest_versions == ()


def test_a_taken_name_is_refused_with_resource_already_exists(registry: RegistryStore) -> None:
    registry.create_registered_model("churn")

    with pytest.raises(AlreadyExists, match="churn") as caught:
        registry.create_registered_model("churn")

    assert caught.value.code == "RESOURCE_ALREADY_EXISTS"


def test_names_are_case_sensitive(registry: RegistryStore) -> None:
    registry.create_registered_model("churn")
    registry.create_registered_model("Churn")

    assert registry.get_registered_model("Churn").name == "Churn"


@pytest.mark.parametrize("name", ["", "   ", "a/b", "a:b", "x" * 257])
def test_invalid_names_are_refused_naming_the_field(registry: RegistryStore, name: str) -> None:
    with pytest.raises(InvalidParameter, match="name"):
        registry.create_registered_model(name)


@pytest.mark.parametrize(
    ("key", "value"),
    [("", "v"), ("bad\nkey", "v"), ("../up", "v"), ("ok", "x" * 100_001)],
)
def test_invalid_tags_are_refused_and_nothing_is_created(
    registry: RegistryStore, key: str, value: str
) -> None:
    with pytest.raises(InvalidParameter, match="tags"):
        registry.create_registered_model("churn", tags=[RegisteredModelTag(key, value)])

    with pytest.raises(NotFound):
        registry.get_registered_model("churn")


def test_get_of_a_missing_model_names_it(registry: RegistryStore) -> None:
    with pytest.raises(NotFound, match="nope") as caught:
        registry.get_registered_model("nope")

    assert caught.value.code == "RESOURCE_DOES_NOT_EXIST"


def test_update_sets_the_description_and_update_time(
    registry: RegistryStore, clock: ManualClock
) -> None:
    created = registry.create_registered_model("churn", description="old")
    clock.advance(5_000)

    updated = registry.update_registered_model("churn", "new")

    assert updated.description == "new"
    assert updated.last_updated_timestamp == created.creation_timestamp + 5_000
    assert registry.get_registered_model("churn").description == "new"


def test_rename_carries_versions_tags_and_aliases(registry: RegistryStore) -> None:
    registry.create_registered_model("old", tags=[RegisteredModelTag("k", "v")])
    registry.create_model_version("old", "s3://bucket/1")
    registry.set_registered_model_alias("old", "champion", 1)

    renamed = registry.rename_registered_model("old", "new")

    assert renamed.name == "new"
    assert dict(renamed.tags) == {"k": "v"}
    assert renamed.aliases == (RegisteredModelAlias("champion", "1"),)
    assert registry.get_model_version("new", 1).name == "new"
    assert registry.get_model_version_by_alias("new", "champion").version == "1"
    with pytest.raises(NotFound):
        registry.get_registered_model("old")


@pytest.mark.parametrize(
    ("name", "new_name", "error"),
    [
        ("a", "b", AlreadyExists),
        ("missing", "c", NotFound),
        ("a", "", InvalidParameter),
        ("a", "x/y", InvalidParameter),
    ],
)
def test_rename_refuses(
    registry: RegistryStore, name: str, new_name: str, error: type[Exception]
) -> None:
    registry.create_registered_model("a")
    registry.create_registered_model("b")

    with pytest.raises(error):
        registry.rename_registered_model(name, new_name)

    assert registry.get_registered_model("a").name == "a"


def test_delete_removes_the_model_with_everything_it_holds(registry: RegistryStore) -> None:
    registry.create_registered_model("churn", tags=[RegisteredModelTag("k", "v")])
    registry.create_model_version("churn", "s3://bucket/1")
    registry.set_registered_model_alias("churn", "champion", 1)

    registry.delete_registered_model("churn")

    with pytest.raises(NotFound):
        registry.get_registered_model("churn")
    with pytest.raises(NotFound):
        registry.get_model_version("churn", 1)
    assert list(registry.search_model_versions("name = 'churn'")) == []
    again = registry.create_registered_model("churn")
    assert dict(again.tags) == {}
    assert registry.create_model_version("churn", "s3://bucket/2").version == "1"


def test_delete_of_a_missing_model_is_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound, match="nope"):
        registry.delete_registered_model("nope")


def test_tags_are_set_overwritten_and_deleted(registry: RegistryStore) -> None:
    registry.create_registered_model("churn")

    registry.set_registered_model_tag("churn", RegisteredModelTag("a", "1"))
    registry.set_registered_model_tag("churn", RegisteredModelTag("b", "2"))
    registry.set_registered_model_tag("churn", RegisteredModelTag("a", "3"))
    registry.delete_registered_model_tag("churn", "b")

    assert dict(registry.get_registered_model("churn").tags) == {"a": "3"}


def test_deleting_a_tag_the_model_does_not_have_is_a_no_op(registry: RegistryStore) -> None:
    # MLflow answers success here; only the model has to exist.
    registry.create_registered_model("churn", tags=[RegisteredModelTag("a", "1")])

    registry.delete_registered_model_tag("churn", "absent")

    assert dict(registry.get_registered_model("churn").tags) == {"a": "1"}


def test_deleting_a_tag_of_a_missing_model_is_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound, match="nope"):
        registry.delete_registered_model_tag("nope", "a")


def test_a_tag_on_a_missing_model_is_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.set_registered_model_tag("nope", RegisteredModelTag("a", "1"))


# -- latest versions -------------------------------------------------------------------


@pytest.fixture
def staged(registry: RegistryStore) -> RegistryStore:
    """A model whose versions 1..5 are in stages None, Staging, Production, Staging, None."""
    registry.create_registered_model("churn")
    stages = ["None", "Staging", "Production", "Staging", "None"]
    for number, stage in enumerate(stages, start=1):
        registry.create_model_version("churn", f"s3://bucket/{number}")
        if stage != "None":
            registry.transition_model_version_stage("churn", number, stage)
    return registry


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ((), {"None": "5", "Staging": "4", "Production": "3"}),
        (("Staging",), {"Staging": "4"}),
        (("production", "NONE"), {"Production": "3", "None": "5"}),
        (("Archived",), {}),
    ],
)
def test_latest_versions_per_stage(
    staged: RegistryStore, stages: tuple[str, ...], expected: dict[str, str]
) -> None:
    latest = staged.get_latest_versions("churn", stages)

    assert {v.current_stage.value: v.version for v in latest} == expected
    assert len(latest) == len(expected)


def test_the_model_carries_its_latest_versions(staged: RegistryStore) -> None:
    model = staged.get_registered_model("churn")

    assert sorted(v.version for v in model.latest_versions) == ["3", "4", "5"]


def test_latest_versions_refuses_an_unknown_stage(staged: RegistryStore) -> None:
    with pytest.raises(InvalidParameter, match="stage"):
        staged.get_latest_versions("churn", ["Shipped"])


def test_latest_versions_of_a_missing_model_is_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.get_latest_versions("nope")


# -- aliases ---------------------------------------------------------------------------


@pytest.fixture
def two_versions(registry: RegistryStore) -> RegistryStore:
    registry.create_registered_model("churn")
    registry.create_model_version("churn", "s3://bucket/1")
    registry.create_model_version("churn", "s3://bucket/2")
    return registry


def test_an_alias_points_at_a_version_and_shows_on_both_entities(
    two_versions: RegistryStore,
) -> None:
    two_versions.set_registered_model_alias("churn", "champion", "2")

    version = two_versions.get_model_version_by_alias("churn", "champion")

    assert version.version == "2"
    assert version.aliases == ("champion",)
    assert two_versions.get_model_version("churn", 2).aliases == ("champion",)
    model = two_versions.get_registered_model("churn")
    assert model.aliases == (RegisteredModelAlias("champion", "2"),)


def test_setting_an_alias_again_moves_it(two_versions: RegistryStore) -> None:
    two_versions.set_registered_model_alias("churn", "champion", 1)

    two_versions.set_registered_model_alias("churn", "champion", 2)

    assert two_versions.get_model_version_by_alias("churn", "champion").version == "2"
    assert two_versions.get_model_version("churn", 1).aliases == ()
    assert two_versions.get_registered_model("churn").aliases == (
        RegisteredModelAlias("champion", "2"),
    )


def test_an_alias_to_a_missing_version_is_refused_and_the_old_target_kept(
    two_versions: RegistryStore,
) -> None:
    two_versions.set_registered_model_alias("churn", "champion", 1)

    with pytest.raises(NotFound, match="3"):
        two_versions.set_registered_model_alias("churn", "champion", 3)

    assert two_versions.get_model_version_by_alias("churn", "champion").version == "1"


@pytest.mark.parametrize("alias", ["", "latest", "LATEST", "v1", "V12", "has space", "a.b"])
def test_invalid_or_reserved_aliases_are_refused(two_versions: RegistryStore, alias: str) -> None:
    with pytest.raises(InvalidParameter, match="alias"):
        two_versions.set_registered_model_alias("churn", alias, 1)


@pytest.mark.parametrize("alias", ["champion", "v1beta", "prod-2", "x_y", "123"])
def test_ordinary_aliases_are_accepted(two_versions: RegistryStore, alias: str) -> None:
    two_versions.set_registered_model_alias("churn", alias, 1)

    assert two_versions.get_model_version_by_alias("churn", alias).version == "1"


def test_deleting_an_alias(two_versions: RegistryStore) -> None:
    two_versions.set_registered_model_alias("churn", "champion", 1)

    two_versions.delete_registered_model_alias("churn", "champion")

    assert two_versions.get_registered_model("churn").aliases == ()
    # An unknown alias is INVALID_PARAMETER_VALUE in MLflow, not RESOURCE_DOES_NOT_EXIST.
    with pytest.raises(InvalidParameter, match="champion") as caught:
        two_versions.get_model_version_by_alias("churn", "champion")
    assert caught.value.code == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("alias", ["champion", "Champion", "latest", "v1"])
def test_deleting_an_alias_the_model_does_not_have_is_a_no_op(
    two_versions: RegistryStore, alias: str
) -> None:
    two_versions.set_registered_model_alias("churn", "champion", 1)
    if alias == "champion":
        two_versions.delete_registered_model_alias("churn", "champion")

    two_versions.delete_registered_model_alias("churn", alias)

    expected = () if alias == "champion" else (RegisteredModelAlias("champion", "1"),)
    assert two_versions.get_registered_model("churn").aliases == expected


@pytest.mark.parametrize("alias", ["latest", "LATEST", "Latest"])
def test_the_latest_alias_names_the_highest_version(
    two_versions: RegistryStore, alias: str
) -> None:
    two_versions.delete_model_version("churn", 1)
    two_versions.create_model_version("churn", "s3://bucket/3")

    assert two_versions.get_model_version_by_alias("churn", alias).version == "3"


def test_the_latest_alias_of_a_model_without_versions_is_not_found(
    registry: RegistryStore,
) -> None:
    registry.create_registered_model("churn")

    with pytest.raises(NotFound, match="latest"):
        registry.get_model_version_by_alias("churn", "latest")


def test_deleting_a_version_removes_its_aliases(two_versions: RegistryStore) -> None:
    two_versions.set_registered_model_alias("churn", "champion", 1)
    two_versions.set_registered_model_alias("churn", "challenger", 2)

    two_versions.delete_model_version("churn", 1)

    assert two_versions.get_registered_model("churn").aliases == (
        RegisteredModelAlias("challenger", "2"),
    )
    with pytest.raises(InvalidParameter, match="champion"):
        two_versions.get_model_version_by_alias("churn", "champion")


def test_alias_calls_on_a_missing_model_are_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound, match="nope"):
        registry.set_registered_model_alias("nope", "champion", 1)
    with pytest.raises(NotFound, match="nope"):
        registry.get_model_version_by_alias("nope", "champion")
    with pytest.raises(NotFound, match="nope"):
        registry.get_model_version_by_alias("nope", "latest")
    with pytest.raises(NotFound, match="nope"):
        registry.delete_registered_model_alias("nope", "champion")


def test_stage_names_parse_in_any_case(staged: RegistryStore) -> None:
    assert staged.get_model_version("churn", 3).current_stage is ModelVersionStage.PRODUCTION
