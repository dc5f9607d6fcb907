"""Datasets through ``mlflow.log_input``, read back from the run's inputs."""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow import MlflowClient
from outcome import emit

mlflow.set_experiment("inputs-script")
frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
dataset = mlflow.data.from_pandas(frame, name="tiny", targets="y")
with mlflow.start_run() as run:
    mlflow.log_input(dataset, context="training")
    mlflow.log_input(dataset, context="training")  # logging the same input twice is a no-op

inputs = MlflowClient().get_run(run.info.run_id).inputs.dataset_inputs
emit(
    {
        "count": len(inputs),
        "name": inputs[0].dataset.name,
        "digest_matches": inputs[0].dataset.digest == dataset.digest,
        "source_type": inputs[0].dataset.source_type,
        "tags": {tag.key: tag.value for tag in inputs[0].tags},
        "search_by_dataset": len(
            MlflowClient().search_runs(
                [run.info.experiment_id], filter_string="datasets.name = 'tiny'"
            )
        ),
    }
)
