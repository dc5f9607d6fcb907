"""The runs the compare-page browser tests open, written through the Python client."""

from __future__ import annotations

import math
from dataclasses import dataclass

from trackstone import TrackstoneClient
from trackstone.entities import Metric, Param

__all__ = [
    "COMPARE_EXPERIMENT",
    "COMPARE_OTHER_EXPERIMENT",
    "COMPARE_RUNS",
    "CompareRun",
    "fill_compare_data",
    "loss_history",
]

COMPARE_EXPERIMENT = "compare-lab"
COMPARE_OTHER_EXPERIMENT = "compare-other-lab"
_START_MS = 1_715_000_000_000
# Seconds between two logged steps, so that "relative time" differs from "step" on the x axis.
_STEP_INTERVAL_MS = 2_000


@dataclass(frozen=True)
class CompareRun:
    """A run to compare: params (as logged), final metric values and how many loss steps."""

    name: str
    params: tuple[tuple[str, str], ...]
    metrics: tuple[tuple[str, float], ...]
    loss_steps: int
    experiment: str = COMPARE_EXPERIMENT
    status: str = "FINISHED"

    @property
    def param_values(self) -> dict[str, str]:
        return dict(self.params)

    @property
    def metric_values(self) -> dict[str, float]:
        return dict(self.metrics)


COMPARE_RUNS: tuple[CompareRun, ...] = (
    CompareRun(
        "cnn-small",
        (("lr", "0.01"), ("optimizer", "adam"), ("batch_size", "64"), ("layers", "4")),
        (("loss", 0.42), ("accuracy", 0.86), ("val_loss", 0.47)),
        loss_steps=300,
    ),
    CompareRun(
        "cnn-large",
        (("lr", "0.001"), ("optimizer", "adam"), ("batch_size", "64"), ("layers", "8")),
        (("loss", 0.31), ("accuracy", 0.91), ("val_loss", 0.36)),
        loss_steps=5_000,  # more points than one chart request returns: downsampled
    ),
    CompareRun(
        # A name that would run script if the UI ever parsed data as HTML.
        "<img src=x onerror=alert(1)> mlp",
        (
            ("lr", "0.1"),
            ("optimizer", "sgd"),
            ("batch_size", "64"),
            ("layers", "2"),
            ("dropout", "0.5"),
        ),
        (("loss", 0.88), ("accuracy", 0.74)),
        loss_steps=120,
        status="FAILED",
    ),
    CompareRun(
        "transformer",
        (("lr", "0.0003"), ("optimizer", "adamw"), ("batch_size", "32"), ("layers", "12")),
        (("loss", 0.22), ("accuracy", 0.93), ("val_loss", 0.29)),
        loss_steps=800,
        status="RUNNING",
    ),
    CompareRun(
        "baseline",
        (("lr", "0.05"), ("optimizer", "sgd"), ("batch_size", "64"), ("layers", "3")),
        (("loss", 0.61), ("accuracy", 0.79)),
        loss_steps=200,
        experiment=COMPARE_OTHER_EXPERIMENT,
    ),
)


def loss_history(run: CompareRun) -> list[tuple[int, float]]:
    """Return the ``(step, value)`` points of a run's loss: a decay ending at its final value."""
    final = run.metric_values["loss"]
    points = [
        (step, round(final + 1.5 * math.exp(-step / (run.loss_steps / 6)), 6))
        for step in range(run.loss_steps - 1)
    ]
    points.append((run.loss_steps - 1, final))
    return points


def _log_run(client: TrackstoneClient, experiment_id: str, run: CompareRun, index: int) -> str:
    start_ms = _START_MS + index * 3_600_000
    created = client.create_run(experiment_id, start_time=start_ms, run_name=run.name)
    run_id = created.info.run_id
    last_step = run.loss_steps - 1
    metrics = [
        Metric("loss", value, timestamp=start_ms + step * _STEP_INTERVAL_MS, step=step)
        for step, value in loss_history(run)
    ]
    metrics += [
        Metric(key, value, timestamp=start_ms + last_step * _STEP_INTERVAL_MS, step=last_step)
        for key, value in run.metrics
        if key != "loss"
    ]
    client.log_batch(run_id, metrics, [Param(key, value) for key, value in run.params])
    client.flush(run_id)
    if run.status != "RUNNING":
        end_ms = start_ms + last_step * _STEP_INTERVAL_MS + 1_000
        client.set_terminated(run_id, run.status, end_time=end_ms)
    return run_id


def fill_compare_data(client: TrackstoneClient) -> dict[str, str]:
    """Create the compare experiments and runs; return run ids by run name and experiment ids
    under ``experiment:<name>``."""
    ids: dict[str, str] = {}
    for name in (COMPARE_EXPERIMENT, COMPARE_OTHER_EXPERIMENT):
        ids[f"experiment:{name}"] = client.create_experiment(name)
    for index, run in enumerate(COMPARE_RUNS):
        ids[run.name] = _log_run(client, ids[f"experiment:{run.experiment}"], run, index)
    client.flush()
    return ids
