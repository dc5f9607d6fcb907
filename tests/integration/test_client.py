"""TrackstoneClient on an embedded SQLite store, with and without the durable spool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trackstone.client.client import TrackstoneClient
from trackstone.clock import ManualClock
from trackstone.config import Settings
from trackstone.entities import LifecycleStage, Metric, Param, RunStatus, RunTag, ViewType
from trackstone.errors import AlreadyExists, InvalidParameter, InvalidState, NotFound


def _settings(tmp_path: Path, async_logging: bool) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        spool_dir=tmp_path / "spool",
        async_logging=async_logging,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start_ms=1_700_000_000_000)


@pytest.fixture(params=[True, False], ids=["async", "sync"])
def client(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[TrackstoneClient]:
    opened = TrackstoneClient(settings=_settings(tmp_path, request.param), clock=clock)
    yield opened
    opened.close()


def test_times_come_from_the_clock(client: TrackstoneClient, clock: ManualClock) -> None:
    experiment_id = client.create_experiment("timing")
    run = client.create_run(experiment_id)
    clock.advance(1_500)
    client.log_metric(run.info.run_id, "loss", 0.5)
    clock.advance(500)
    client.set_terminated(run.info.run_id)
    stored = client.get_run(run.info.run_id)
    assert (stored.info.start_time, stored.info.end_time) == (1_700_000_000_000, 1_700_000_002_000)
    assert stored.info.status is RunStatus.FINISHED
    (point,) = client.get_metric_history(run.info.run_id, "loss")
    assert (point.timestamp, point.step, point.value) == (1_700_000_001_500, 0, 0.5)


def test_reads_see_writes_at_once(client: TrackstoneClient) -> None:
    run_id = client.create_run("0").info.run_id
    for step in range(300):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    client.log_param(run_id, "lr", 0.1)
    client.set_tag(run_id, "team", "a")
    stored = client.get_run(run_id)
    assert stored.data.metrics == {"loss": 1.0 / 300}
    assert (stored.data.params, stored.data.tags["team"]) == ({"lr": "0.1"}, "a")
    assert len(client.get_metric_history(run_id, "loss")) == 300
    found = client.search_runs("0", "params.lr = '0.1'")
    assert [r.info.run_id for r in found] == [run_id]


def test_big_batches_are_stored_in_chunks(client: TrackstoneClient) -> None:
    run_id = client.create_run("0").info.run_id
    metrics = [Metric("m", float(step), 1, step) for step in range(2_500)]
    params = [Param(f"p{index}", str(index)) for index in range(150)]
    tags = [RunTag(f"t{index}", "v") for index in range(120)]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    stored = client.get_run(run_id)
    assert len(stored.data.params) == 150
    assert sum(key.startswith("t") for key in stored.data.tags) == 120
    assert [p.step for p in client.get_metric_history(run_id, "m")] == list(range(2_500))


def test_log_batch_refuses_other_objects(client: TrackstoneClient) -> None:
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameter, match="Metric, Param or RunTag"):
        client.log_batch(run_id, metrics=[("loss", 0.1)])  # type: ignore[list-item]


def test_a_param_changed_since_an_earlier_process_fails_at_the_call(
    tmp_path: Path, clock: ManualClock
) -> None:
    first = TrackstoneClient(settings=_settings(tmp_path, True), clock=clock)
    run_id = first.create_run("0").info.run_id
    first.log_param(run_id, "lr", "0.1")
    first.close()
    second = TrackstoneClient(settings=_settings(tmp_path, True), clock=clock)
    try:
        second.log_param(run_id, "lr", "0.1")
        with pytest.raises(InvalidParameter, match=r"'lr'.*'0\.1'.*'0\.5'"):
            second.log_param(run_id, "lr", "0.5")
    finally:
        second.close()


def test_conflicting_params_in_one_batch_fail_and_log_nothing(client: TrackstoneClient) -> None:
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameter, match="'a'"):
        client.log_batch(run_id, params=[Param("a", "1"), Param("a", "2")])
    client.log_param(run_id, "a", "2")
    assert client.get_run(run_id).data.params == {"a": "2"}


def test_logging_to_an_unknown_run_fails_at_the_call(client: TrackstoneClient) -> None:
    with pytest.raises(NotFound):
        client.log_metric("f" * 32, "loss", 0.1)


def test_logging_to_a_deleted_run_fails_at_the_call(client: TrackstoneClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.delete_run(run_id)
    other = TrackstoneClient(settings=client.settings)
    try:
        with pytest.raises(InvalidState, match="deleted"):
            other.log_metric(run_id, "loss", 0.1)
    finally:
        other.close()


def test_run_lifecycle(client: TrackstoneClient) -> None:
    run_id = client.create_run("0", tags={"mlflow.user": "ada"}, run_name="first").info.run_id
    client.update_run(run_id, name="renamed")
    client.update_run(run_id, status="KILLED")
    stored = client.get_run(run_id)
    assert (stored.info.run_name, stored.info.status, stored.info.user_id) == (
        "renamed",
        RunStatus.KILLED,
        "ada",
    )
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    assert client.search_runs(["0"]) == []
    client.restore_run(run_id)
    assert [r.info.run_id for r in client.search_runs(["0"], run_view_type="ALL")] == [run_id]


def test_tags_can_be_deleted(client: TrackstoneClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.set_tag(run_id, "a", "1")
    client.delete_tag(run_id, "a")
    assert "a" not in client.get_run(run_id).data.tags


def test_experiment_lifecycle(client: TrackstoneClient) -> None:
    experiment_id = client.create_experiment("e1", tags={"owner": "ml"})
    with pytest.raises(AlreadyExists):
        client.create_experiment("e1")
    client.rename_experiment(experiment_id, "e2")
    client.set_experiment_tag(experiment_id, "stage", "dev")
    client.delete_experiment_tag(experiment_id, "owner")
    experiment = client.get_experiment(experiment_id)
    assert (experiment.name, experiment.tags) == ("e2", {"stage": "dev"})
    assert client.get_experiment_by_name("e1") is None
    client.delete_experiment(experiment_id)
    active = [e.name for e in client.search_experiments()]
    deleted = [e.name for e in client.search_experiments(ViewType.DELETED_ONLY)]
    assert ("e2" in active, deleted) == (False, ["e2"])
    client.restore_experiment(experiment_id)
    assert [e.name for e in client.search_experiments(filter_string="name = 'e2'")] == ["e2"]


def test_search_experiments_pages_when_asked(client: TrackstoneClient) -> None:
    for index in range(3):
        client.create_experiment(f"x{index}")
    first = client.search_experiments(max_results=2, order_by=["name ASC"])
    assert len(first) == 2 and first.token
    rest = client.search_experiments(max_results=2, order_by=["name ASC"], page_token=first.token)
    names = [e.name for e in [*first, *rest]]
    assert names == sorted(names) and {"x0", "x1", "x2"} <= set(names)


def test_log_image_needs_exactly_one_destination(client: TrackstoneClient) -> None:
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameter, match="exactly one"):
        client.log_image(run_id, object())
    with pytest.raises(InvalidParameter, match="exactly one"):
        client.log_image(run_id, object(), artifact_file="a.png", key="k")


def test_artifact_paths_stay_inside_the_run(client: TrackstoneClient) -> None:
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameter):
        client.log_text(run_id, "x", "../escape.txt")


def test_a_synchronous_write_is_stored_in_order_after_spooled_ones(tmp_path: Path) -> None:
    client = TrackstoneClient(settings=_settings(tmp_path, async_logging=True))
    try:
        run_id = client.create_run("0").info.run_id
        client.set_tag(run_id, "phase", "first", synchronous=True)  # nothing spooled yet
        assert client.store.get_run(run_id).data.tags["phase"] == "first"
        for step in range(500):
            client.log_metric(run_id, "loss", float(step), step=step)
            client.set_tag(run_id, "phase", f"spooled-{step}")
        client.set_tag(run_id, "phase", "final", synchronous=True)
        # Stored on return, after every spooled record of the run (which set the tag before).
        stored = client.store.get_run(run_id)
        assert stored.data.tags["phase"] == "final"
        assert stored.data.metrics == {"loss": 499.0}
    finally:
        client.close()
