"""gc never purges a deleted run (or its experiment) that a registered model version needs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from support.cli import store_at_uri  # noqa: F401  (fixture store, at this module's uri)
from trackstone.artifacts.local import local_path_for_uri
from trackstone.artifacts.resolve import repository_for_uri
from trackstone.cli.main import main
from trackstone.client.artifact_functions import download_artifacts
from trackstone.client.gc import collect_garbage
from trackstone.entities import LifecycleStage
from trackstone.errors import InvalidState, NotFound
from trackstone.store.sql.store import SqlStore


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_uri"))
    return f"sqlite:///{tmp_path / 'gc.db'}"


def _run_with_model(store: SqlStore, experiment_id: str, tmp_path: Path) -> str:
    run = store.create_run(experiment_id)
    source = tmp_path / "weights.txt"
    source.write_text(f"weights of {run.info.run_id}")
    repository_for_uri(run.info.artifact_uri).log_artifact(source, "model")
    return run.info.run_id


def _register(store: SqlStore, name: str, run_id: str) -> str:
    registry = store.registry
    try:
        registry.get_registered_model(name)
    except NotFound:
        registry.create_registered_model(name)
    return registry.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id).version


def _stage(store: SqlStore, run_id: str) -> LifecycleStage | None:
    try:
        return store.get_run(run_id).info.lifecycle_stage
    except NotFound:
        return None


def _download(uri: str, model_uri: str, dst: Path) -> str:
    local = download_artifacts(artifact_uri=model_uri, dst_path=str(dst), tracking_uri=uri)
    return (Path(local) / "weights.txt").read_text()


def test_a_run_behind_a_version_survives_gc_until_the_version_goes(
    store: SqlStore, uri: str, tmp_path: Path
) -> None:
    experiment_id = store.create_experiment("kept")
    needed = _run_with_model(store, experiment_id, tmp_path)
    unneeded = _run_with_model(store, experiment_id, tmp_path)
    version = _register(store, "churn", needed)
    store.delete_run(needed)
    store.delete_run(unneeded)

    report = collect_garbage(store)

    assert (report.run_ids, report.kept_run_ids) == ((unneeded,), (needed,))
    assert _stage(store, needed) is LifecycleStage.DELETED
    assert _stage(store, unneeded) is None
    assert _download(uri, f"models:/churn/{version}", tmp_path / "a") == f"weights of {needed}"
    lineage = store.registry.get_model_version_lineage("churn", version)
    assert lineage.run is not None and lineage.run.info.run_id == needed

    store.registry.delete_model_version("churn", version)
    second = collect_garbage(store)

    assert (second.run_ids, second.kept_run_ids) == ((needed,), ())
    assert _stage(store, needed) is None
    assert not local_path_for_uri(lineage.run.info.artifact_uri).exists()


def test_a_deleted_experiment_holding_a_needed_run_is_kept(store: SqlStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("doomed")
    needed = _run_with_model(store, experiment_id, tmp_path)
    unneeded = _run_with_model(store, experiment_id, tmp_path)
    _register(store, "churn", needed)
    _register(store, "churn", needed)  # two versions, one run
    store.delete_experiment(experiment_id)

    dry = collect_garbage(store, dry_run=True)
    report = collect_garbage(store)

    for result in (dry, report):
        assert (result.run_ids, result.experiment_ids) == ((unneeded,), ())
        assert (result.kept_run_ids, result.kept_experiment_ids) == ((needed,), (experiment_id,))
    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED
    assert (_stage(store, needed), _stage(store, unneeded)) == (LifecycleStage.DELETED, None)

    store.registry.delete_model_version("churn", "1")
    assert collect_garbage(store).kept_experiment_ids == (experiment_id,)  # version 2 remains
    store.registry.delete_registered_model("churn")
    last = collect_garbage(store)

    assert (last.run_ids, last.experiment_ids, last.kept_run_ids) == (
        (needed,),
        (experiment_id,),
        (),
    )
    with pytest.raises(NotFound):
        store.get_experiment(experiment_id)


def test_a_run_chosen_by_id_is_kept_too(store: SqlStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("by-id")
    needed = _run_with_model(store, experiment_id, tmp_path)
    _register(store, "churn", needed)
    store.delete_run(needed)

    report = collect_garbage(store, run_ids=[needed])

    assert (report.run_ids, report.kept_run_ids) == ((), (needed,))
    assert _stage(store, needed) is LifecycleStage.DELETED


def test_the_gc_command_says_what_it_kept(store: SqlStore, uri: str, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("cli")
    needed = _run_with_model(store, experiment_id, tmp_path)
    _register(store, "churn", needed)
    store.delete_run(needed)

    shown = CliRunner().invoke(main, ["--tracking-uri", uri, "gc", "--dry-run"])
    as_json = CliRunner().invoke(main, ["--tracking-uri", uri, "gc", "--json"])

    assert shown.exit_code == 0, shown.output
    assert "Kept 1 deleted run(s) that registered model versions still need" in shown.stdout
    assert f"run {needed}" in shown.stdout
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["kept_run_ids"] == [needed]
    assert _stage(store, needed) is LifecycleStage.DELETED


class _RegistryRacingGc:
    """A registry that, right after answering gc's first question, sees a version registered
    from ``run_id`` by someone else (the moment between gc's plan and its removals)."""

    def __init__(self, store: SqlStore, run_id: str) -> None:
        self._store = store
        self._run_id = run_id
        self.questions = 0

    def run_ids_in_use(self, run_ids: Sequence[str]) -> set[str]:
        answer = self._store.registry.run_ids_in_use(run_ids)
        self.questions += 1
        if self.questions == 1:
            _register(self._store, "late", self._run_id)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store.registry, name)


class _StoreWithRacingRegistry:
    """The store gc sees: the real one, with the racing registry."""

    def __init__(self, inner: SqlStore, registry: _RegistryRacingGc) -> None:
        self._inner = inner
        self.registry = registry

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_version_registered_while_gc_runs_keeps_its_run(store: SqlStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("race")
    run_id = _run_with_model(store, experiment_id, tmp_path)
    store.delete_run(run_id)
    racing = _RegistryRacingGc(store, run_id)

    report = collect_garbage(_StoreWithRacingRegistry(store, racing))  # type: ignore[arg-type]

    assert racing.questions >= 2
    assert (report.run_ids, report.kept_run_ids) == ((), (run_id,))
    assert _stage(store, run_id) is LifecycleStage.DELETED


class _StoreRegisteringBeforePurge:
    """The store gc sees: someone registers a version from ``run_id`` after gc's last
    question to the registry, right before the purge reaches the store."""

    def __init__(self, inner: SqlStore, run_id: str) -> None:
        self._inner = inner
        self._run_id = run_id
        self.registry = inner.registry

    def purge_run(self, run_id: str) -> None:
        _register(self._inner, "late", self._run_id)
        self._inner.purge_run(run_id)

    def purge_experiment(self, experiment_id: str) -> None:
        _register(self._inner, "late", self._run_id)
        self._inner.purge_experiment(experiment_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_the_store_keeps_a_run_registered_after_gcs_last_check(
    store: SqlStore, tmp_path: Path
) -> None:
    experiment_id = store.create_experiment("late")
    run_id = _run_with_model(store, experiment_id, tmp_path)
    store.delete_run(run_id)

    report = collect_garbage(_StoreRegisteringBeforePurge(store, run_id))  # type: ignore[arg-type]

    assert (report.run_ids, report.kept_run_ids) == ((), (run_id,))
    assert _stage(store, run_id) is LifecycleStage.DELETED
    assert [v.version for v in store.registry.search_model_versions("name = 'late'")] == ["1"]


def test_the_store_keeps_an_experiment_whose_run_was_registered_late(
    store: SqlStore, tmp_path: Path
) -> None:
    experiment_id = store.create_experiment("late")
    needed = _run_with_model(store, experiment_id, tmp_path)
    other = _run_with_model(store, experiment_id, tmp_path)
    store.delete_experiment(experiment_id)

    report = collect_garbage(_StoreRegisteringBeforePurge(store, needed))  # type: ignore[arg-type]

    assert report.experiment_ids == ()
    assert report.kept_experiment_ids == (experiment_id,)
    assert (report.run_ids, report.kept_run_ids) == ((other,), (needed,))
    assert (_stage(store, needed), _stage(store, other)) == (LifecycleStage.DELETED, None)
    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED


class _StoreRestoringBeforePurge:
    """A store on which the run is restored between gc's plan and the purge."""

    def __init__(self, inner: SqlStore) -> None:
        self._inner = inner
        self.registry = inner.registry

    def purge_run(self, run_id: str) -> None:
        self._inner.restore_run(run_id)
        self._inner.purge_run(run_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_other_refusals_of_a_purge_still_fail_the_collection(
    store: SqlStore, tmp_path: Path
) -> None:
    experiment_id = store.create_experiment("restored")
    run_id = _run_with_model(store, experiment_id, tmp_path)
    store.delete_run(run_id)

    with pytest.raises(InvalidState, match="it is active"):
        collect_garbage(_StoreRestoringBeforePurge(store))  # type: ignore[arg-type]

    assert _stage(store, run_id) is LifecycleStage.ACTIVE
