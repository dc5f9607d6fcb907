"""MLflow 3 model linkage: run outputs and inputs, metrics logged against models, and searches.

Two sklearn models come from one run (``model`` at step 0, ``model2`` at step 5); ``model``
gets ``acc`` points (two plain, one from a second run on dataset ``d``/``dd``) and an ``f1``
point on the numpy dataset ``train``; ``model2`` one ``acc`` point of 0.4.
"""

from __future__ import annotations

import mlflow
import mlflow.sklearn
import numpy as np
from mlflow import MlflowClient
from mlflow.entities import LoggedModelInput, Metric
from outcome import emit
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(0)
features = rng.normal(size=(30, 2))
labels = (features[:, 0] > 0).astype(int)
classifier = LogisticRegression().fit(features, labels)
client = MlflowClient()

experiment_id = mlflow.set_experiment("model-links").experiment_id
with mlflow.start_run() as run:
    first = mlflow.sklearn.log_model(classifier, name="model").model_id
    mlflow.log_metric("acc", 0.75, model_id=first)
    mlflow.log_metric("acc", 0.8, step=1, model_id=first)
    train = mlflow.data.from_numpy(features, name="train")
    mlflow.log_metric("f1", 0.6, model_id=first, dataset=train)
    second = mlflow.sklearn.log_model(classifier, name="model2", step=5).model_id
    mlflow.log_metric("acc", 0.4, model_id=second)
with mlflow.start_run() as consumer:
    client.log_inputs(consumer.info.run_id, models=[LoggedModelInput(first)])
    client.log_batch(
        consumer.info.run_id,
        metrics=[
            Metric("acc", 0.99, 123, 0, model_id=first, dataset_name="d", dataset_digest="dd")
        ],
    )

producer = client.get_run(run.info.run_id)
model = client.get_logged_model(first)
by_name = {"model": first, "model2": second}
digests = {None: None, "train": train.digest, "d": "dd"}


def search(**arguments: object) -> list[str]:
    """Return the names of the models a search of the experiment finds, in its order."""
    found = client.search_logged_models(experiment_ids=[experiment_id], **arguments)
    return [model.name for model in found]


emit(
    {
        "outputs": sorted(
            (name, output.step)
            for output in producer.outputs.model_outputs
            for name, model_id in by_name.items()
            if output.model_id == model_id
        ),
        "outputs.in_search": sorted(
            len(found.outputs.model_outputs) for found in client.search_runs([experiment_id])
        ),
        "inputs": [
            i.model_id == first for i in client.get_run(consumer.info.run_id).inputs.model_inputs
        ],
        "run.metrics": producer.data.metrics,
        "model.metrics": [
            (
                m.key,
                m.value,
                m.step,
                m.run_id == run.info.run_id,
                m.dataset_name,
                m.dataset_digest == digests[m.dataset_name],
                m.model_id == first,
            )
            for m in model.metrics
        ],
        "search.acc_above": search(filter_string="metrics.acc > 0.5"),
        "search.acc_below": search(filter_string="metrics.acc < 0.5"),
        "search.order_acc_asc": search(order_by=[{"field_name": "metrics.acc", "ascending": True}]),
        "search.order_acc_desc": search(
            order_by=[{"field_name": "metrics.acc", "ascending": False}]
        ),
        "search.dataset_nowhere": search(datasets=[{"dataset_name": "nowhere"}]),
        "search.dataset_f1": search(
            filter_string="metrics.f1 > 0",
            datasets=[{"dataset_name": "train", "dataset_digest": train.digest}],
        ),
        "search.dataset_acc": search(
            filter_string="metrics.acc > 0.9",
            datasets=[{"dataset_name": "d", "dataset_digest": "dd"}],
        ),
        "search.dataset_wrong_digest": search(
            datasets=[{"dataset_name": "d", "dataset_digest": "zz"}]
        ),
        "search.dataset_no_acc": search(
            filter_string="metrics.acc > 0",
            datasets=[{"dataset_name": "train", "dataset_digest": train.digest}],
        ),
    }
)
