"""RegistryStore + TrackingStore contract: a purge refuses runs that model versions still need."""

from __future__ import annotations

import pytest

from trackstone.entities import LifecycleStage
from trackstone.errors import InvalidState, NotFound
from trackstone.store.base import TrackingStore
from trackstone.store.registry import RegistryStore

# How a version points at the run: by its source (runs:/ or a URI), and whether it names it.
SOURCES = {
    "runs-uri": ("runs:/{run_id}/model", False),
    "inside-artifacts": ("{artifact_uri}/model", False),
    "artifact-root": ("{artifact_uri}", False),
    "named-run": ("s3://elsewhere/model", True),
}


def _deleted_run(store: TrackingStore, experiment_id: str) -> tuple[str, str]:
    info = store.create_run(experiment_id).info
    store.delete_run(info.run_id)
    return info.run_id, info.artifact_uri


def _register(registry: RegistryStore, run_id: str, artifact_uri: str, how: str) -> str:
    template, names_run = SOURCES[how]
    source = template.format(run_id=run_id, artifact_uri=artifact_uri)
    try:
        registry.get_registered_model("churn")
    except NotFound:
        registry.create_registered_model("churn")
    created = registry.create_model_version("churn", source, run_id=run_id if names_run else "")
    return created.version


@pytest.mark.parametrize("how", sorted(SOURCES))
def test_purging_a_run_a_version_needs_is_refused(
    store: TrackingStore, registry: RegistryStore, how: str
) -> None:
    experiment_id = store.create_experiment("exp")
    run_id, artifact_uri = _deleted_run(store, experiment_id)
    version = _register(registry, run_id, artifact_uri, how)

    with pytest.raises(InvalidState) as refused:
        store.purge_run(run_id)

    assert f"run {run_id}" in refused.value.message
    assert f"version {version} of registered model 'churn'" in refused.value.message
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED


def test_once_the_version_is_gone_the_run_purges(
    store: TrackingStore, registry: RegistryStore
) -> None:
    experiment_id = store.create_experiment("exp")
    run_id, artifact_uri = _deleted_run(store, experiment_id)
    version = _register(registry, run_id, artifact_uri, "runs-uri")
    registry.delete_model_version("churn", version)

    store.purge_run(run_id)

    with pytest.raises(NotFound):
        store.get_run(run_id)


def test_a_location_that_only_shares_a_prefix_does_not_protect(
    store: TrackingStore, registry: RegistryStore
) -> None:
    experiment_id = store.create_experiment("exp")
    run_id, artifact_uri = _deleted_run(store, experiment_id)
    registry.create_registered_model("churn")
    registry.create_model_version("churn", f"{artifact_uri}-copy/model")

    store.purge_run(run_id)

    with pytest.raises(NotFound):
        store.get_run(run_id)


def test_purging_an_experiment_holding_a_needed_run_is_refused_whole(
    store: TrackingStore, registry: RegistryStore
) -> None:
    experiment_id = store.create_experiment("exp")
    free_run, _ = _deleted_run(store, experiment_id)
    needed_run, artifact_uri = _deleted_run(store, experiment_id)
    version = _register(registry, needed_run, artifact_uri, "inside-artifacts")
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidState) as refused:
        store.purge_experiment(experiment_id)

    assert f"purge experiment {experiment_id}" in refused.value.message
    assert f"run {needed_run} is still needed by version {version}" in refused.value.message
    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED
    assert store.get_run(free_run).info.run_id == free_run
    assert store.get_run(needed_run).info.run_id == needed_run


def test_versions_of_other_runs_do_not_block_a_purge(
    store: TrackingStore, registry: RegistryStore
) -> None:
    experiment_id = store.create_experiment("exp")
    other_experiment = store.create_experiment("other")
    kept_run = store.create_run(other_experiment).info
    _register(registry, kept_run.run_id, kept_run.artifact_uri, "runs-uri")
    run_id, _ = _deleted_run(store, experiment_id)
    store.delete_experiment(experiment_id)

    store.purge_experiment(experiment_id)

    with pytest.raises(NotFound):
        store.get_run(run_id)
    assert store.get_run(kept_run.run_id).info.run_id == kept_run.run_id
