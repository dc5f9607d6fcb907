"""The experiments and runs the browser tests open, written through the Python client."""

from __future__ import annotations

from dataclasses import dataclass, field

from trackstone import TrackstoneClient
from trackstone.entities import Metric, Param, RunTag

__all__ = [
    "ESCAPED_EXPERIMENT",
    "OTHER_EXPERIMENT",
    "SWEEP_EXPERIMENT",
    "SWEEP_RUNS",
    "SampleRun",
    "fill_sample_data",
]

SWEEP_EXPERIMENT = "vision-sweep"
OTHER_EXPERIMENT = "speech-baseline"
# A name that would run script if the UI ever parsed data as HTML.
ESCAPED_EXPERIMENT = "<img src=x onerror=alert(1)> & co"
_START_MS = 1_714_000_000_000


@dataclass(frozen=True)
class SampleRun:
    """One run of the sweep: its name, params, final metrics and parent's name (if nested)."""

    name: str
    lr: str
    optimizer: str
    loss: float
    accuracy: float
    status: str = "FINISHED"
    parent: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


SWEEP_RUNS: tuple[SampleRun, ...] = (
    SampleRun("sweep-parent", "0.1", "sgd", 0.90, 0.61),
    SampleRun("child-a", "0.01", "adam", 0.31, 0.88, parent="sweep-parent"),
    SampleRun("child-b", "0.001", "adam", 0.27, 0.91, parent="sweep-parent"),
    SampleRun("resnet-18", "0.05", "sgd", 0.45, 0.80),
    SampleRun("resnet-34", "0.02", "sgd", 0.38, 0.84, status="FAILED"),
    SampleRun("vit-small", "0.0003", "adamw", 0.22, 0.93),
    SampleRun("vit-base", "0.0001", "adamw", 0.19, 0.95, status="RUNNING"),
    SampleRun("mlp", "0.3", "sgd", 1.20, 0.42),
)


def _log_run(
    client: TrackstoneClient, experiment_id: str, run: SampleRun, index: int, ids: dict[str, str]
) -> None:
    tags = {"mlflow.user": "ada", "mlflow.source.name": "train/vision.py", "team": "vision"}
    if run.parent is not None:
        tags["mlflow.parentRunId"] = ids[run.parent]
    created = client.create_run(
        experiment_id, start_time=_START_MS + index * 60_000, tags=tags, run_name=run.name
    )
    run_id = created.info.run_id
    ids[run.name] = run_id
    metrics = [
        Metric("loss", run.loss * (1 + 1 / (step + 1)), timestamp=_START_MS + step, step=step)
        for step in range(4)
    ]
    metrics.append(Metric("loss", run.loss, timestamp=_START_MS + 10, step=10))
    metrics.append(Metric("accuracy", run.accuracy, timestamp=_START_MS + 10, step=10))
    params = [Param("lr", run.lr), Param("optimizer", run.optimizer)]
    client.log_batch(run_id, metrics, params, [RunTag(k, v) for k, v in run.tags.items()])
    client.flush(run_id)
    if run.status != "RUNNING":
        client.set_terminated(run_id, run.status, end_time=_START_MS + index * 60_000 + 95_000)


def fill_sample_data(client: TrackstoneClient) -> dict[str, str]:
    """Create the sample experiments and runs; return run ids by run name and experiment ids
    under ``experiment:<name>``."""
    ids: dict[str, str] = {}
    sweep = client.create_experiment(SWEEP_EXPERIMENT)
    ids[f"experiment:{SWEEP_EXPERIMENT}"] = sweep
    for index, run in enumerate(SWEEP_RUNS):
        _log_run(client, sweep, run, index, ids)
    other = client.create_experiment(OTHER_EXPERIMENT)
    ids[f"experiment:{OTHER_EXPERIMENT}"] = other
    client.create_run(other, run_name="baseline")
    ids[f"experiment:{ESCAPED_EXPERIMENT}"] = client.create_experiment(ESCAPED_EXPERIMENT)
    client.flush()
    return ids
