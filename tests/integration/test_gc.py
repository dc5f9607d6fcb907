"""Garbage collection end to end: a real SQLite store, real artifact folders, a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trackstone.artifacts.local import local_path_for_uri
from trackstone.artifacts.resolve import repository_for_uri
from trackstone.client.gc import collect_garbage
from trackstone.clock import ManualClock
from trackstone.entities import LifecycleStage
from trackstone.errors import AlreadyExists, InvalidState, NotFound, ServiceUnavailable
from trackstone.store.base import TrackingStore
from trackstone.store.sql.store import SqlStore

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[SqlStore]:
    if request.param == "postgres":
        uri: str = request.getfixturevalue("postgres_uri")
    else:
        uri = f"sqlite:///{tmp_path / 'gc.db'}"
    opened = SqlStore(uri, artifact_root=str(tmp_path / "artifacts"), clock=clock)
    try:
        yield opened
    finally:
        opened.close()


def _run_with_artifact(store: TrackingStore, experiment_id: str, tmp_path: Path) -> str:
    run = store.create_run(experiment_id)
    source = tmp_path / f"model-{run.info.run_id}.txt"
    source.write_text("weights")
    repository_for_uri(run.info.artifact_uri).log_artifact(source, "model")
    assert _artifact_dir(store, run.info.run_id).exists()
    return run.info.run_id


def _artifact_dir(store: TrackingStore, run_id: str) -> Path:
    return local_path_for_uri(store.get_run(run_id).info.artifact_uri)


def test_collects_a_deleted_run_with_its_artifacts(store: SqlStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("gc")
    doomed = _run_with_artifact(store, experiment_id, tmp_path)
    kept = _run_with_artifact(store, experiment_id, tmp_path)
    doomed_dir = _artifact_dir(store, doomed)
    store.delete_run(doomed)

    report = collect_garbage(store)

    assert report.run_ids == (doomed,)
    assert report.experiment_ids == ()
    with pytest.raises(NotFound):
        store.get_run(doomed)
    assert not doomed_dir.exists()
    assert _artifact_dir(store, kept).exists()
    assert store.get_run(kept).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_a_collected_experiment_frees_its_name(store: SqlStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("reusable")
    run_id = _run_with_artifact(store, experiment_id, tmp_path)
    experiment_dir = local_path_for_uri(store.get_experiment(experiment_id).artifact_location)
    store.delete_experiment(experiment_id)
    with pytest.raises(AlreadyExists):
        store.create_experiment("reusable")

    report = collect_garbage(store)

    assert report.experiment_ids == (experiment_id,)
    assert run_id in report.run_ids
    with pytest.raises(NotFound):
        store.get_experiment(experiment_id)
    with pytest.raises(NotFound):
        store.get_run(run_id)
    assert not experiment_dir.exists()
    assert store.get_experiment_by_name("reusable") is None
    new_id = store.create_experiment("reusable")
    assert new_id != experiment_id
    assert store.get_experiment(new_id).lifecycle_stage is LifecycleStage.ACTIVE


def test_a_shared_experiment_folder_keeps_foreign_files(store: SqlStore, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "notes.txt").write_text("not Trackstone's")
    experiment_id = store.create_experiment("shared", artifact_location=str(shared))
    run_id = _run_with_artifact(store, experiment_id, tmp_path)
    run_dir = _artifact_dir(store, run_id)
    store.delete_experiment(experiment_id)

    report = collect_garbage(store)

    assert report.experiment_ids == (experiment_id,)
    assert not run_dir.exists()
    assert (shared / "notes.txt").read_text() == "not Trackstone's"
    assert store.get_experiment_by_name("shared") is None


@pytest.mark.parametrize(
    ("elapsed_ms", "older_than_ms", "collected"),
    [
        (59 * MINUTE_MS, HOUR_MS, False),
        (61 * MINUTE_MS, HOUR_MS, True),
        (30 * 24 * HOUR_MS + MINUTE_MS, 30 * 24 * HOUR_MS, True),
        (29 * 24 * HOUR_MS, 30 * 24 * HOUR_MS, False),
        (0, None, True),
    ],
)
def test_older_than_follows_the_store_clock(
    store: SqlStore,
    clock: ManualClock,
    tmp_path: Path,
    elapsed_ms: int,
    older_than_ms: int | None,
    collected: bool,
) -> None:
    experiment_id = store.create_experiment("aging")
    run_id = _run_with_artifact(store, experiment_id, tmp_path)
    store.delete_run(run_id)
    clock.advance(elapsed_ms)

    report = collect_garbage(store, older_than_ms=older_than_ms)

    assert (run_id in report.run_ids) is collected
    assert _exists(store, run_id) is not collected


def _exists(store: TrackingStore, run_id: str) -> bool:
    try:
        store.get_run(run_id)
    except NotFound:
        return False
    return True


def test_dry_run_reports_and_removes_nothing(store: SqlStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("dry")
    run_id = _run_with_artifact(store, experiment_id, tmp_path)
    store.delete_run(run_id)

    report = collect_garbage(store, dry_run=True)

    assert report.dry_run
    assert report.run_ids == (run_id,)
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    assert _artifact_dir(store, run_id).exists()


def test_explicit_ids_limit_what_is_collected(store: SqlStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("explicit")
    chosen = _run_with_artifact(store, experiment_id, tmp_path)
    other = _run_with_artifact(store, experiment_id, tmp_path)
    store.delete_run(chosen)
    store.delete_run(other)

    report = collect_garbage(store, run_ids=[chosen])

    assert report.run_ids == (chosen,)
    assert not _exists(store, chosen)
    assert store.get_run(other).info.lifecycle_stage is LifecycleStage.DELETED


def test_explicit_experiment_leaves_other_deleted_runs(store: SqlStore, tmp_path: Path) -> None:
    doomed = store.create_experiment("doomed")
    doomed_run = _run_with_artifact(store, doomed, tmp_path)
    other = store.create_experiment("other")
    other_run = _run_with_artifact(store, other, tmp_path)
    store.delete_run(other_run)
    store.delete_experiment(doomed)

    report = collect_garbage(store, experiment_ids=[doomed])

    assert report.experiment_ids == (doomed,)
    assert report.run_ids == (doomed_run,)
    assert not _exists(store, doomed_run)
    assert store.get_run(other_run).info.lifecycle_stage is LifecycleStage.DELETED


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"run_ids": ["active"]}, InvalidState),
        ({"run_ids": ["recent"], "older_than_ms": HOUR_MS}, InvalidState),
        ({"run_ids": ["0" * 32]}, NotFound),
        ({"experiment_ids": ["active-experiment"]}, InvalidState),
        ({"experiment_ids": ["987654"]}, NotFound),
    ],
)
def test_explicit_ids_must_name_collectable_things(
    store: SqlStore, tmp_path: Path, arguments: dict[str, Any], error: type[Exception]
) -> None:
    experiment_id = store.create_experiment("checks")
    names = {
        "active": _run_with_artifact(store, experiment_id, tmp_path),
        "recent": _run_with_artifact(store, experiment_id, tmp_path),
        "active-experiment": experiment_id,
    }
    bystander = _run_with_artifact(store, experiment_id, tmp_path)
    store.delete_run(names["recent"])
    store.delete_run(bystander)
    # The table names runs symbolically; swap in the real ids.
    resolved = {
        key: [names.get(item, item) for item in value] if isinstance(value, list) else value
        for key, value in arguments.items()
    }

    with pytest.raises(error):
        collect_garbage(store, **resolved)

    assert store.get_run(bystander).info.lifecycle_stage is LifecycleStage.DELETED


def test_progress_counts_every_item(store: SqlStore, tmp_path: Path) -> None:
    kept_experiment = store.create_experiment("progress")
    for _ in range(2):
        store.delete_run(_run_with_artifact(store, kept_experiment, tmp_path))
    gone_experiment = store.create_experiment("progress-gone")
    store.delete_experiment(gone_experiment)
    calls: list[tuple[int, int]] = []

    collect_garbage(store, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 3), (2, 3), (3, 3)]


class _PurgeFailsOnce:
    """A store whose first ``purge_run`` fails, as if the database went away mid-collection."""

    def __init__(self, inner: SqlStore) -> None:
        self._inner = inner
        self.failed = False

    def purge_run(self, run_id: str) -> None:
        if not self.failed:
            self.failed = True
            raise ServiceUnavailable("database is locked")
        self._inner.purge_run(run_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_failure_after_the_files_leaves_a_deleted_run_for_next_time(
    store: SqlStore, tmp_path: Path
) -> None:
    experiment_id = store.create_experiment("retry")
    run_id = _run_with_artifact(store, experiment_id, tmp_path)
    run_dir = _artifact_dir(store, run_id)
    store.delete_run(run_id)
    flaky = _PurgeFailsOnce(store)

    with pytest.raises(ServiceUnavailable):
        collect_garbage(flaky)  # type: ignore[arg-type]

    assert not run_dir.exists()
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    assert collect_garbage(store).run_ids == (run_id,)
    assert not _exists(store, run_id)
