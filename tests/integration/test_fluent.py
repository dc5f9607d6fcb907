"""The fluent API end to end on an embedded SQLite store, with and without the durable spool."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import trackstone
from support.fluent_tracking import fluent_tracking
from trackstone.entities import RunStatus, ViewType
from trackstone.errors import InvalidParameter, InvalidState, NotFound


@pytest.fixture(params=["async", "sync"])
def data_dir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point the fluent API at a fresh data folder; spool in tmp_path; both logging modes."""
    folder = tmp_path / "data"
    with fluent_tracking(folder, tmp_path, monkeypatch, async_logging=request.param == "async"):
        yield folder


def test_a_training_script(data_dir: Path) -> None:
    experiment = trackstone.set_experiment("mnist")
    with trackstone.start_run(run_name="baseline", tags={"team": "vision"}) as run:
        trackstone.log_params({"lr": 0.01, "layers": 3})
        trackstone.log_param("optimizer", "adam")
        for step in range(200):
            trackstone.log_metric("loss", 1.0 / (step + 1), step=step)
        trackstone.log_metrics({"accuracy": 0.93, "f1": 0.9}, step=199)
        trackstone.set_tag("stage", "done")
        trackstone.log_text("hello", "notes/readme.txt")
        trackstone.log_dict({"lr": 0.01}, "config.json")
        run_id = run.info.run_id
    stored = trackstone.get_run(run_id)
    assert stored.info.experiment_id == experiment.experiment_id
    assert stored.info.run_name == "baseline"
    assert stored.info.status is RunStatus.FINISHED
    assert stored.info.end_time is not None
    assert stored.data.params == {"lr": "0.01", "layers": "3", "optimizer": "adam"}
    assert stored.data.metrics == {"loss": 1.0 / 200, "accuracy": 0.93, "f1": 0.9}
    tags = stored.data.tags
    assert (tags["team"], tags["stage"], tags["mlflow.runName"]) == ("vision", "done", "baseline")
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.user"] == stored.info.user_id != ""
    history = trackstone.get_metric_history(run_id, "loss")
    assert [point.step for point in history] == list(range(200))
    assert history[3].value == 0.25
    client = trackstone.MlflowClient(data_dir)
    assert [f.path for f in client.list_artifacts(run_id)] == ["config.json", "notes"]
    assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/readme.txt"]


def test_values_that_need_converting_are_logged_in_order_with_plain_ones(
    data_dir: Path,
) -> None:
    # Plain floats take the spool's fast path; ints, numpy scalars, NaN, an explicit
    # timestamp and a bad value take the general one: all land, in step order.
    values: list[object] = [0.5, 1, np.float64(2.5), float("nan"), np.int32(4), 5.5]
    with trackstone.start_run() as run:
        for step, value in enumerate(values):
            trackstone.log_metric("m", value, step=step)  # type: ignore[arg-type]
        trackstone.log_metric("m", 6.5, step=6, timestamp=123)
        with pytest.raises(InvalidParameter, match="value"):
            trackstone.log_metric("m", "seven", step=7)  # type: ignore[arg-type]
    history = trackstone.get_metric_history(run.info.run_id, "m")
    assert [point.step for point in history] == list(range(7))
    got = [point.value for point in history]
    assert got[:3] == [0.5, 1.0, 2.5] and got[3] != got[3] and got[4:] == [4.0, 5.5, 6.5]
    assert all(type(value) is float for value in got)
    assert history[6].timestamp == 123


def test_a_client_built_without_a_uri_follows_set_tracking_uri(
    data_dir: Path, tmp_path: Path
) -> None:
    # As MlflowClient() follows mlflow.set_tracking_uri: scripts build one after setting it.
    with trackstone.start_run() as run:
        trackstone.log_param("lr", "0.1")
    client = trackstone.MlflowClient()
    assert client.tracking_uri == trackstone.get_tracking_uri()
    assert client.get_run(run.info.run_id).data.params == {"lr": "0.1"}
    other = tmp_path / "other"
    assert trackstone.MlflowClient(other).tracking_uri != client.tracking_uri
    trackstone.set_tracking_uri(other)
    assert trackstone.MlflowClient().tracking_uri == trackstone.MlflowClient(other).tracking_uri


def test_nested_runs_carry_the_parent_tag(data_dir: Path) -> None:
    with trackstone.start_run() as parent:
        with trackstone.start_run(nested=True) as child:
            assert trackstone.active_run().info.run_id == child.info.run_id  # type: ignore[union-attr]
            trackstone.log_metric("inner", 1.0)
        assert trackstone.active_run().info.run_id == parent.info.run_id  # type: ignore[union-attr]
    stored_child = trackstone.get_run(child.info.run_id)
    assert stored_child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert "mlflow.parentRunId" not in trackstone.get_run(parent.info.run_id).data.tags
    assert stored_child.info.status is RunStatus.FINISHED


def test_explicit_parent_run_id(data_dir: Path) -> None:
    parent = trackstone.start_run()
    trackstone.end_run()
    with trackstone.start_run(parent_run_id=parent.info.run_id) as child:
        pass
    stored = trackstone.get_run(child.info.run_id)
    assert stored.data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_a_second_top_level_run_is_refused(data_dir: Path) -> None:
    with trackstone.start_run() as run, pytest.raises(InvalidState, match=run.info.run_id):
        trackstone.start_run()


@pytest.mark.parametrize(
    ("error", "status"),
    [(ValueError("diverged"), RunStatus.FAILED), (KeyboardInterrupt(), RunStatus.KILLED)],
)
def test_a_run_ends_with_the_status_of_its_exit(
    data_dir: Path, error: BaseException, status: RunStatus
) -> None:
    with pytest.raises(type(error)), trackstone.start_run() as run:
        trackstone.log_metric("loss", 0.5)
        raise error
    assert trackstone.active_run() is None
    stored = trackstone.get_run(run.info.run_id)
    assert stored.info.status is status
    assert stored.data.metrics == {"loss": 0.5}


def test_end_run_with_a_status(data_dir: Path) -> None:
    run = trackstone.start_run()
    trackstone.end_run("KILLED")
    assert trackstone.get_run(run.info.run_id).info.status is RunStatus.KILLED
    last = trackstone.last_active_run()
    assert last is not None and last.info.run_id == run.info.run_id


def test_logging_without_a_run_starts_one(data_dir: Path) -> None:
    trackstone.log_metric("loss", 0.1)
    active = trackstone.active_run()
    assert active is not None
    trackstone.end_run()
    assert trackstone.get_run(active.info.run_id).data.metrics == {"loss": 0.1}


def test_generated_names_descriptions_and_deleted_tags(data_dir: Path) -> None:
    with trackstone.start_run(description="first try") as run:
        trackstone.set_tags({"a": 1, "b": "two"})
        trackstone.delete_tag("a")
    stored = trackstone.get_run(run.info.run_id)
    assert stored.info.run_name and stored.data.tags["mlflow.runName"] == stored.info.run_name
    assert stored.data.tags["mlflow.note.content"] == "first try"
    assert stored.data.tags["b"] == "two" and "a" not in stored.data.tags


def test_resuming_a_finished_run(data_dir: Path) -> None:
    with trackstone.start_run() as run:
        trackstone.log_metric("loss", 0.5, step=0)
    with trackstone.start_run(run_id=run.info.run_id) as resumed:
        assert trackstone.get_run(run.info.run_id).info.status is RunStatus.RUNNING
        trackstone.log_metric("loss", 0.4, step=1)
    assert resumed.info.run_id == run.info.run_id
    assert [p.value for p in trackstone.get_metric_history(run.info.run_id, "loss")] == [0.5, 0.4]
    assert trackstone.get_run(run.info.run_id).info.status is RunStatus.FINISHED


def test_resuming_an_unknown_run_fails(data_dir: Path) -> None:
    with pytest.raises(NotFound):
        trackstone.start_run(run_id="0" * 32)
    assert trackstone.active_run() is None


def test_changing_a_param_fails_at_the_call(data_dir: Path) -> None:
    with trackstone.start_run():
        trackstone.log_param("lr", 0.1)
        trackstone.log_param("lr", 0.1)  # the same value again is fine
        with pytest.raises(InvalidParameter, match=r"'lr'.*'0\.1'.*'0\.2'"):
            trackstone.log_param("lr", 0.2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: trackstone.log_metric("loss", "abc"), "must be a number"),  # type: ignore[arg-type]
        (lambda: trackstone.log_metric("bad key!", 1.0), "bad key!"),
        (lambda: trackstone.log_param("p", "x\x00"), "NUL"),
    ],
)
def test_bad_values_fail_at_the_call(data_dir: Path, call: object, message: str) -> None:
    with trackstone.start_run(), pytest.raises(InvalidParameter, match=message):
        call()  # type: ignore[operator]


def test_experiments(data_dir: Path) -> None:
    created = trackstone.set_experiment("first")
    assert trackstone.set_experiment("first").experiment_id == created.experiment_id
    assert trackstone.set_experiment(experiment_id=created.experiment_id).name == "first"
    other_id = trackstone.create_experiment("second", tags={"k": "v"})
    assert trackstone.get_experiment(other_id).tags == {"k": "v"}
    assert trackstone.get_experiment_by_name("second").experiment_id == other_id  # type: ignore[union-attr]
    names = {e.name for e in trackstone.search_experiments()}
    assert {"first", "second"} <= names
    trackstone.delete_experiment(other_id)
    with pytest.raises(InvalidState, match="deleted"):
        trackstone.set_experiment("second")
    with pytest.raises(InvalidParameter):
        trackstone.set_experiment()
    with pytest.raises(NotFound):
        trackstone.set_experiment(experiment_id="987654")


def test_experiment_from_the_environment(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    trackstone.set_tracking_uri(data_dir)  # a fresh client reads the environment again
    with trackstone.start_run() as run:
        pass
    experiment = trackstone.get_experiment_by_name("from-env")
    assert experiment is not None and run.info.experiment_id == experiment.experiment_id


def test_artifacts(data_dir: Path, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("A")
    (source / "sub" / "b.txt").write_text("B")
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    with trackstone.start_run() as run:
        trackstone.log_artifact(source / "a.txt")
        trackstone.log_artifacts(source, artifact_path="tree")
        trackstone.log_dict({"depth": 3}, "params.yaml")
        trackstone.log_figure(figure, "plots/curve.png")
        trackstone.log_image(np.zeros((4, 4, 3)), "images/black.png")
        trackstone.log_image(np.ones((4, 4)), key="sample", step=7)
        trackstone.log_table({"x": [1, 2], "y": ["a", "b"]}, "eval.json")
        trackstone.log_table(pd.DataFrame({"x": [3], "z": [True]}), "eval.json")
        uri = trackstone.get_artifact_uri()
        assert trackstone.get_artifact_uri("a.txt") == uri + "/a.txt"
    plt.close(figure)
    client = trackstone.MlflowClient(data_dir)
    run_id = run.info.run_id
    top = {f.path: f.is_dir for f in client.list_artifacts(run_id)}
    assert top == {
        "a.txt": False,
        "eval.json": False,
        "images": True,
        "params.yaml": False,
        "plots": True,
        "tree": True,
    }
    images = [f.path for f in client.list_artifacts(run_id, "images")]
    assert images == ["images/black.png", "images/sample"]
    samples = [f.path for f in client.list_artifacts(run_id, "images/sample")]
    assert len(samples) == 1 and samples[0].startswith("images/sample/step_000000000007_")
    local = Path(client.download_artifacts(run_id, "tree", tmp_path / "down"))
    assert (local / "sub" / "b.txt").read_text() == "B"
    assert yaml.safe_load(Path(client.download_artifacts(run_id, "params.yaml")).read_text()) == {
        "depth": 3
    }
    table = json.loads(Path(client.download_artifacts(run_id, "eval.json")).read_text())
    assert table == {
        "columns": ["x", "y", "z"],
        "data": [[1, "a", None], [2, "b", None], [3, None, True]],
    }
    logged = json.loads(trackstone.get_run(run_id).data.tags["mlflow.loggedArtifacts"])
    assert logged == [{"path": "eval.json", "type": "table"}]


def test_log_input_records_datasets_with_their_context(data_dir: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
    train = trackstone.data.from_pandas(frame, source="s3://bucket/train.csv", name="train")
    test = trackstone.data.from_numpy(np.arange(6).reshape(3, 2), name="test")
    with trackstone.start_run() as run:
        trackstone.log_input(train, context="training", tags={"split": "a"})
        trackstone.log_input(test, context="eval")
    inputs = trackstone.get_run(run.info.run_id).inputs.dataset_inputs
    found = {i.dataset.name: (i.dataset.digest, i.context) for i in inputs}
    assert found == {"train": (train.digest, "training"), "test": (test.digest, "eval")}
    train_input = next(i for i in inputs if i.dataset.name == "train")
    assert {t.key: t.value for t in train_input.tags}["split"] == "a"
    assert train_input.dataset.source_type == "s3"
    matches = trackstone.search_runs(filter_string="datasets.name = 'train'", output_format="list")
    assert [r.info.run_id for r in matches] == [run.info.run_id]


def test_search_runs_returns_mlflow_columns(data_dir: Path) -> None:
    trackstone.set_experiment("search")
    for index, lr in enumerate((0.1, 0.2, 0.3)):
        with trackstone.start_run(run_name=f"r{index}"):
            trackstone.log_param("lr", lr)
            trackstone.log_metric("loss", 1 - lr)
            trackstone.set_tag("group", "even" if index % 2 == 0 else "odd")
    frame = trackstone.search_runs(order_by=["metrics.loss ASC"])
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist()[:6] == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert {"metrics.loss", "params.lr", "tags.group", "tags.mlflow.runName"} <= set(frame.columns)
    assert frame["params.lr"].tolist() == ["0.3", "0.2", "0.1"]
    assert frame["status"].tolist() == ["FINISHED"] * 3
    assert str(frame["start_time"].dtype).startswith("datetime64")
    odd = trackstone.search_runs(filter_string="tags.group = 'odd'", output_format="list")
    assert [r.data.params["lr"] for r in odd] == ["0.2"]
    by_name = trackstone.search_runs(experiment_names=["search"], max_results=2)
    assert len(by_name) == 2
    assert trackstone.search_runs(experiment_names=["no-such-experiment"]).empty


def test_deleted_runs_leave_default_searches(data_dir: Path) -> None:
    with trackstone.start_run() as run:
        pass
    trackstone.delete_run(run.info.run_id)
    assert trackstone.search_runs(output_format="list") == []
    deleted = trackstone.search_runs(run_view_type=ViewType.DELETED_ONLY, output_format="list")
    assert [r.info.run_id for r in deleted] == [run.info.run_id]


def test_worker_threads_log_to_the_run_their_parent_started(data_dir: Path) -> None:
    def work(worker: int) -> None:
        for step in range(20):
            trackstone.log_metric(f"worker_{worker}", step, step=step)

    with trackstone.start_run() as run:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    metrics = trackstone.get_run(run.info.run_id).data.metrics
    assert metrics == {f"worker_{n}": 19.0 for n in range(4)}
    for n in range(4):
        assert len(trackstone.get_metric_history(run.info.run_id, f"worker_{n}")) == 20


def test_tracking_uri_is_the_data_folders_database(data_dir: Path) -> None:
    assert trackstone.get_tracking_uri() == f"sqlite:///{(data_dir / 'trackstone.db').resolve()}"


def _log_in_worker(worker: int) -> None:
    for step in range(10):
        trackstone.log_metric(f"worker_{worker}", step, step=step)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_workers_log_to_the_run_of_their_parent(data_dir: Path) -> None:
    context = multiprocessing.get_context("fork")
    with trackstone.start_run() as run:
        trackstone.log_metric("parent", 1.0, step=0)
        workers = [context.Process(target=_log_in_worker, args=(n,)) for n in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert [worker.exitcode for worker in workers] == [0, 0]
        trackstone.log_metric("parent", 2.0, step=1)
    stored = trackstone.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FINISHED  # the workers did not end it
    assert stored.data.metrics == {"parent": 2.0, "worker_0": 9.0, "worker_1": 9.0}
    for n in range(2):
        assert len(trackstone.get_metric_history(run.info.run_id, f"worker_{n}")) == 10
