"""A script written for MLflow runs unchanged with ``import trackstone as mlflow``.

Each script runs in its own interpreter (as users run them); its records are then read back
from the embedded store it wrote to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackstone.client.client import TrackstoneClient
from trackstone.config import Settings
from trackstone.entities import RunStatus

TRAINING_SCRIPT = """
import numpy as np

import trackstone as mlflow
from trackstone.entities import Metric, Param, RunTag
from trackstone.tracking import MlflowClient

mlflow.set_experiment("synthetic-logreg")
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))
y = (X @ np.array([1.5, -2.0, 0.5]) > 0).astype(np.int64)
params = {"lr": 0.5, "epochs": 30, "l2": 0.001}

with mlflow.start_run(run_name="sgd", description="plain gradient descent") as run:
    mlflow.log_params(params)
    mlflow.set_tags({"model": "logreg"})
    mlflow.log_input(mlflow.data.from_numpy(X, targets=y, name="synthetic"), context="training")
    w = np.zeros(3)
    for epoch in range(params["epochs"]):
        p = 1 / (1 + np.exp(-(X @ w)))
        loss = float(-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
        w -= params["lr"] * (X.T @ (p - y) / len(y) + params["l2"] * w)
        mlflow.log_metric("loss", loss, step=epoch)
        mlflow.log_metrics({"train_acc": float(np.mean((p > 0.5) == y))}, step=epoch)
    mlflow.log_dict({"weights": w.tolist()}, "model/weights.json")
    mlflow.log_text("final loss: %.4f" % loss, "report.txt")
    with mlflow.start_run(run_name="eval", nested=True):
        mlflow.log_metric("test_acc", 0.9)
    client = MlflowClient()
    client.log_batch(
        run.info.run_id,
        metrics=[Metric("extra", 1.0, 1_700_000_000_000, 0)],
        params=[Param("seed", "0")],
        tags=[RunTag("phase", "final")],
    )
    print(run.info.run_id)
"""


@pytest.fixture
def environment(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a script writing into a fresh data folder under tmp_path."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRACKSTONE_", "MLFLOW_"))
    }
    env["TRACKSTONE_DATA_DIR"] = str(tmp_path / "data")
    env["TRACKSTONE_SPOOL_DIR"] = str(tmp_path / "spool")
    yield env


def _run_script(
    tmp_path: Path, env: dict[str, str], source: str
) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _client(tmp_path: Path) -> TrackstoneClient:
    settings = Settings(data_dir=tmp_path / "data", spool_dir=tmp_path / "spool")
    return TrackstoneClient(settings=settings)


def test_an_mlflow_training_script(tmp_path: Path, environment: dict[str, str]) -> None:
    done = _run_script(tmp_path, environment, TRAINING_SCRIPT)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    client = _client(tmp_path)
    try:
        run = client.get_run(run_id)
        experiment = client.get_experiment_by_name("synthetic-logreg")
        assert experiment is not None and run.info.experiment_id == experiment.experiment_id
        assert run.info.status is RunStatus.FINISHED
        assert run.data.params == {"lr": "0.5", "epochs": "30", "l2": "0.001", "seed": "0"}
        assert set(run.data.metrics) == {"loss", "train_acc", "extra"}
        assert run.data.tags["model"] == "logreg"
        assert run.data.tags["phase"] == "final"
        assert run.data.tags["mlflow.note.content"] == "plain gradient descent"
        assert run.data.tags["mlflow.source.name"] == str((tmp_path / "train.py").resolve())
        assert run.data.tags["trackstone.source.entry_point"] == "train.py"
        losses = [point.value for point in client.get_metric_history(run_id, "loss")]
        assert len(losses) == 30 and losses[-1] < losses[0]
        report = client.download_artifacts(run_id, "report.txt", tmp_path / "out")
        assert Path(report).read_text() == f"final loss: {losses[-1]:.4f}"
        weights = json.loads(
            Path(client.download_artifacts(run_id, "model/weights.json")).read_text()
        )
        assert len(weights["weights"]) == 3
        (dataset_input,) = run.inputs.dataset_inputs
        assert (dataset_input.dataset.name, dataset_input.context) == ("synthetic", "training")
        children = client.search_runs(
            [experiment.experiment_id], f"tags.`mlflow.parentRunId` = '{run_id}'"
        )
        assert [child.info.run_name for child in children] == ["eval"]
        assert children[0].data.metrics == {"test_acc": 0.9}
    finally:
        client.close()


@pytest.mark.parametrize(
    ("ending", "status"),
    [
        ("pass", RunStatus.FINISHED),
        ("raise RuntimeError('diverged')", RunStatus.FAILED),
        ("raise KeyboardInterrupt", RunStatus.KILLED),
    ],
)
def test_a_run_left_open_is_ended_at_exit(
    tmp_path: Path, environment: dict[str, str], ending: str, status: RunStatus
) -> None:
    source = f"""
    import trackstone as mlflow

    run = mlflow.start_run()
    print(run.info.run_id, flush=True)
    for step in range(100):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    {ending}
    """
    done = _run_script(tmp_path, environment, source)
    assert done.stdout.split(), done.stderr
    run_id = done.stdout.split()[0]
    client = _client(tmp_path)
    try:
        run = client.get_run(run_id)
        assert run.info.status is status, done.stderr
        assert run.info.end_time is not None
        assert len(client.get_metric_history(run_id, "loss")) == 100, done.stderr
    finally:
        client.close()
