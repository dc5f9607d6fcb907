"""The runs the run-page tests open: a finished run with every kind of data and artifact,
a running run for live refresh, and a run holding a 1,000,000-point metric."""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from trackstone import TrackstoneClient
from trackstone.entities import Metric, Param, RunTag
from trackstone.entities.dataset import Dataset, DatasetInput, InputTag
from trackstone.store.resolve import store_for_uri

__all__ = [
    "BIG_METRIC",
    "BIG_POINTS",
    "BIG_SPIKE",
    "BIG_SPIKE_STEP",
    "CSV_ROWS",
    "DESCRIPTION",
    "GIT_COMMIT",
    "IMAGE_SIZE",
    "RUN_EXPERIMENT",
    "RunSample",
    "fill_run_sample",
]

RUN_EXPERIMENT = "run-page"
GIT_COMMIT = "3f9c2d1e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
DESCRIPTION = (
    "# Baseline\n\nTrained with **AdamW** on `cifar10`.\n\n- warmup 5 epochs\n- cosine decay"
)
IMAGE_SIZE = (12, 8)
CSV_ROWS = [
    ("epoch", "loss", "accuracy"),
    *[(str(i), f"{1 / (i + 1):.4f}", f"{0.5 + i / 40:.3f}") for i in range(12)],
]
BIG_METRIC = "grad_norm"
BIG_POINTS = 1_000_000
BIG_SPIKE_STEP = 654_321
BIG_SPIKE = 1_000.0
_START_MS = 1_714_100_000_000
# The script in the HTML artifact would set this title if it ever ran.
HTML_ARTIFACT = (
    "<!doctype html><html><head><title>report</title></head><body>"
    "<h1 id='report-title'>Evaluation report</h1><p>accuracy 0.93</p>"
    "<script>parent.document.title = 'PWNED'; document.body.dataset.ran = 'yes';</script>"
    "</body></html>"
)
SVG_ARTIFACT = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60">'
    '<rect width="120" height="60" fill="#2f5bea"/>'
    '<script>parent.document.title="PWNED"</script></svg>'
)
MLMODEL = """artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: trackstone.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.9
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.0
mlflow_version: 2.14.0
model_size_bytes: 1234
model_uuid: 5d2a6c0e9b1f4e7a8c3d2b1a0f9e8d7c
run_id: 0123456789abcdef
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double",
    "name": "sepal_width", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2024-05-01 10:00:00.000000'
"""


@dataclass(frozen=True)
class RunSample:
    """Ids of the run-page sample: experiment, the full run, its parent and child, the
    running run and the big-metric run."""

    experiment_id: str
    full: str
    parent: str
    child: str
    running: str
    big: str


def _png(width: int, height: int) -> bytes:
    """A valid RGB PNG of one colour, written without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xd9\x48\x0f" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _artifact_files(folder: Path) -> None:
    (folder / "logs").mkdir(parents=True)
    (folder / "model").mkdir()
    (folder / "plots").mkdir()
    lines = [f"epoch {i}: loss={1 / (i + 1):.4f} <b>not bold</b>" for i in range(40)]
    (folder / "logs" / "train.log").write_text("\n".join(lines) + "\n")
    (folder / "plots" / "confusion.png").write_bytes(_png(*IMAGE_SIZE))
    (folder / "plots" / "curve.svg").write_text(SVG_ARTIFACT)
    (folder / "metrics.csv").write_text("\n".join(",".join(row) for row in CSV_ROWS) + "\n")
    (folder / "config.json").write_text(
        json.dumps({"model": "vit", "layers": [4, 8], "dropout": 0.1})
    )
    (folder / "params.yaml").write_text(
        "optimizer: adamw\nschedule:\n  warmup: 5\n  kind: cosine\n"
    )
    (folder / "README.md").write_text(
        "# Notes\n\nSee [docs](https://example.org/docs) and [bad](javascript:alert(1)).\n\n"
        "<img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    (folder / "report.html").write_text(HTML_ARTIFACT)
    (folder / "model" / "MLmodel").write_text(MLMODEL)


def _full_run(client: TrackstoneClient, experiment_id: str, parent_id: str, folder: Path) -> str:
    tags = {
        "mlflow.user": "grace",
        "mlflow.source.name": "train/vit.py",
        "mlflow.source.type": "LOCAL",
        "mlflow.project.entryPoint": "main",
        "mlflow.source.git.commit": GIT_COMMIT,
        "mlflow.source.git.branch": "main",
        "trackstone.source.git.dirty": "true",
        "mlflow.parentRunId": parent_id,
        "mlflow.note.content": DESCRIPTION,
    }
    run_id = client.create_run(
        experiment_id, start_time=_START_MS, tags=tags, run_name="vit-finetune"
    ).info.run_id
    metrics = [
        Metric("loss", 2.0 / (step + 1) + 0.01 * (step % 7), _START_MS + step * 1_000, step)
        for step in range(200)
    ]
    metrics += [
        Metric("accuracy", 0.5 + step / 500, _START_MS + step * 1_000, step) for step in range(200)
    ]
    metrics += [
        Metric("lr", 0.001 * 0.98**step, _START_MS + step * 1_000, step) for step in range(200)
    ]
    params = [Param("optimizer", "adamw"), Param("lr", "0.001"), Param("epochs", "200")]
    user_tags = [RunTag("team", "vision"), RunTag("note", "<script>alert(1)</script>")]
    for start in range(0, len(metrics), 1000):
        client.log_batch(
            run_id,
            metrics[start : start + 1000],
            params if start == 0 else [],
            user_tags if start == 0 else [],
        )
    client.flush(run_id)
    dataset = Dataset(
        name="cifar10-train",
        digest="a1b2c3d4",
        source_type="local",
        source="/data/cifar10/train",
        schema=json.dumps(
            {
                "mlflow_colspec": [
                    {"type": "binary", "name": "image"},
                    {"type": "long", "name": "label"},
                ]
            }
        ),
    )
    client.log_inputs(
        run_id, [DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),))]
    )
    _artifact_files(folder)
    client.log_artifacts(run_id, folder)
    client.set_terminated(run_id, "FINISHED", end_time=_START_MS + 200_000)
    return run_id


def _big_run(client: TrackstoneClient, experiment_id: str, database: Path) -> str:
    """A run with BIG_POINTS points of one metric, written straight into the server's SQLite
    file (one transaction) so that filling it does not take a thousand requests."""
    run_id = client.create_run(
        experiment_id, start_time=_START_MS, run_name="long-history"
    ).info.run_id
    points = [
        (
            BIG_METRIC,
            BIG_SPIKE if step == BIG_SPIKE_STEP else 1.0 + (step % 100) / 100,
            _START_MS + step,
            step,
        )
        for step in range(BIG_POINTS)
    ]
    store = store_for_uri(f"sqlite:///{database}", str(database.parent / "artifacts"))
    try:
        store.log_metric_rows(run_id, points)
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
    client.set_terminated(run_id, "FINISHED", end_time=_START_MS + BIG_POINTS)
    return run_id


_FILLED: dict[Path, RunSample] = {}


def fill_run_sample(client: TrackstoneClient, folder: Path, database: Path) -> RunSample:
    """Create the run-page sample runs once per server; ``database`` is its SQLite file.

    Several test modules share one server per process: the second call returns the first
    call's runs.
    """
    if database in _FILLED:
        return _FILLED[database]
    _FILLED[database] = _fill(client, folder, database)
    return _FILLED[database]


def _fill(client: TrackstoneClient, folder: Path, database: Path) -> RunSample:
    experiment_id = client.create_experiment(RUN_EXPERIMENT)
    parent = client.create_run(
        experiment_id, start_time=_START_MS - 1_000, run_name="hp-search"
    ).info.run_id
    client.set_terminated(parent, "FINISHED", end_time=_START_MS + 300_000)
    full = _full_run(client, experiment_id, parent, folder)
    child = client.create_run(
        experiment_id,
        start_time=_START_MS + 1,
        tags={"mlflow.parentRunId": full},
        run_name="eval-child",
    ).info.run_id
    client.set_terminated(child, "FINISHED")
    running = client.create_run(experiment_id, run_name="still-training").info.run_id
    client.log_batch(
        running, [Metric("loss", 1.0 / (step + 1), _START_MS + step, step) for step in range(5)]
    )
    client.flush(running)
    big = _big_run(client, experiment_id, database)
    return RunSample(experiment_id, full, parent, child, running, big)
