"""The registered models, versions and production metrics the model-page browser tests open."""

from __future__ import annotations

from dataclasses import dataclass

from trackstone import TrackstoneClient
from trackstone.entities import Metric, Param
from trackstone.entities.dataset import Dataset, DatasetInput, InputTag

__all__ = [
    "CHURN_MODEL",
    "CHURN_RUNS",
    "CHURN_VERSIONS",
    "ESCAPED_MODEL",
    "PRODUCTION_ACCURACY",
    "PRODUCTION_START_MS",
    "TRAINING_DATASET",
    "TRAINING_EXPERIMENT",
    "TrainingRun",
    "create_journey_model",
    "fill_registry_data",
]

TRAINING_EXPERIMENT = "churn-training"
CHURN_MODEL = "churn"
# A model name that would run script if the UI ever parsed data as HTML.
ESCAPED_MODEL = "<img src=x onerror=alert(1)> & model"
TRAINING_DATASET = "churn-2024q1"
_START_MS = 1_714_000_000_000
PRODUCTION_START_MS = _START_MS + 86_400_000
# Accuracy observed in production by churn v2, hourly: it drifts well below the 0.92 of its
# source run, so a check with "accuracy>=-0.02rel" fails.
PRODUCTION_ACCURACY = tuple(round(0.91 - 0.003 * hour, 4) for hour in range(24))


@dataclass(frozen=True)
class TrainingRun:
    """A training run behind a churn version: its name, params and final metrics."""

    name: str
    max_depth: str
    learning_rate: str
    accuracy: float
    auc: float
    latency_ms: float


CHURN_RUNS: tuple[TrainingRun, ...] = (
    TrainingRun("churn-gbm-1", "4", "0.1", 0.90, 0.91, 38.0),
    TrainingRun("churn-gbm-2", "6", "0.05", 0.92, 0.94, 41.0),
    TrainingRun("churn-gbm-3", "8", "0.03", 0.93, 0.95, 47.0),
)
# version -> (source run, stage, aliases)
CHURN_VERSIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "1": ("churn-gbm-1", "Archived", ()),
    "2": ("churn-gbm-2", "Production", ("champion",)),
    "3": ("churn-gbm-3", "Staging", ("challenger",)),
}


def _log_training_run(
    client: TrackstoneClient, experiment_id: str, run: TrainingRun, index: int
) -> str:
    created = client.create_run(
        experiment_id,
        start_time=_START_MS + index * 60_000,
        run_name=run.name,
        tags={"mlflow.user": "ada", "mlflow.source.name": "train/churn.py"},
    )
    run_id = created.info.run_id
    client.log_batch(
        run_id,
        [
            Metric("accuracy", run.accuracy, timestamp=_START_MS, step=0),
            Metric("auc", run.auc, timestamp=_START_MS, step=0),
            Metric("latency_ms", run.latency_ms, timestamp=_START_MS, step=0),
        ],
        [Param("max_depth", run.max_depth), Param("learning_rate", run.learning_rate)],
        [],
    )
    dataset = Dataset(TRAINING_DATASET, "a1b2c3d4", "s3", "s3://data/churn/2024q1.parquet")
    client.log_inputs(
        run_id, [DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),))]
    )
    client.flush(run_id)
    client.set_terminated(run_id, "FINISHED", end_time=_START_MS + index * 60_000 + 30_000)
    return run_id


def create_journey_model(client: TrackstoneClient, name: str, run_ids: list[str]) -> None:
    """Create ``name`` with one version per run (v1 in Production, aliased ``champion``), for
    a test that changes it."""
    client.create_registered_model(name, description="Made for one browser test.")
    for run_id in run_ids:
        client.create_model_version(name, f"runs:/{run_id}/model", run_id)
    client.transition_model_version_stage(name, "1", "Production")
    client.set_registered_model_alias(name, "champion", "1")


def fill_registry_data(client: TrackstoneClient) -> dict[str, str]:
    """Create the training runs, the churn model and its neighbours; return run ids by run
    name and the experiment id under ``experiment:<name>``."""
    ids: dict[str, str] = {}
    experiment_id = client.create_experiment(TRAINING_EXPERIMENT)
    ids[f"experiment:{TRAINING_EXPERIMENT}"] = experiment_id
    for index, run in enumerate(CHURN_RUNS):
        ids[run.name] = _log_training_run(client, experiment_id, run, index)
    client.create_registered_model(
        CHURN_MODEL,
        tags={"team": "growth"},
        description="Predicts which customers cancel within 30 days.",
    )
    for version, (run_name, stage, aliases) in CHURN_VERSIONS.items():
        client.create_model_version(
            CHURN_MODEL, f"runs:/{ids[run_name]}/model", ids[run_name], tags={"framework": "gbm"}
        )
        client.transition_model_version_stage(CHURN_MODEL, version, stage)
        for alias in aliases:
            client.set_registered_model_alias(CHURN_MODEL, alias, version)
    for hour, accuracy in enumerate(PRODUCTION_ACCURACY):
        client.log_production_metrics(
            CHURN_MODEL,
            "2",
            {"accuracy": accuracy, "latency_ms": 40.0 + hour % 3},
            timestamp=PRODUCTION_START_MS + hour * 3_600_000,
        )
    client.create_registered_model("fraud-detector", tags={"team": "risk"})
    client.create_model_version(
        "fraud-detector", f"runs:/{ids['churn-gbm-1']}/fraud", ids["churn-gbm-1"]
    )
    client.create_registered_model(ESCAPED_MODEL, description="<b>not bold</b>")
    client.create_registered_model("empty-model")
    return ids
