"""``mlflow.sklearn.log_model`` then loading it back by ``runs:/`` and ``models:/`` URIs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlflow
import mlflow.sklearn
import numpy as np
from mlflow import MlflowClient
from outcome import emit, error_code_of
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(0)
features = rng.normal(size=(60, 3))
labels = (features @ np.array([1.0, -2.0, 0.5]) > 0).astype(int)
classifier = LogisticRegression().fit(features, labels)
expected = classifier.predict(features).tolist()

mlflow.set_experiment("sklearn-script")
with mlflow.start_run() as run:
    mlflow.log_param("C", classifier.C)
    mlflow.log_metric("accuracy", float(np.mean(classifier.predict(features) == labels)))
    info = mlflow.sklearn.log_model(classifier, name="model", input_example=features[:2])
run_id = run.info.run_id
client = MlflowClient()

by_run = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
by_id = mlflow.sklearn.load_model(f"models:/{info.model_id}")
logged = client.get_logged_model(info.model_id)
found = client.search_logged_models(
    experiment_ids=[run.info.experiment_id], filter_string="name = 'model'"
)
downloaded = Path(
    mlflow.artifacts.download_artifacts(
        f"runs:/{run_id}/model", dst_path=tempfile.mkdtemp(prefix="model-")
    )
)
client.set_logged_model_tags(info.model_id, {"stage": "candidate"})
client.delete_logged_model_tag(info.model_id, "stage")

emit(
    {
        "model_id_prefix": info.model_id[:2],
        "model_uri": info.model_uri == f"models:/{info.model_id}",
        "predictions.runs_uri": by_run.predict(features).tolist() == expected,
        "predictions.models_uri": by_id.predict(features).tolist() == expected,
        "logged.name": logged.name,
        "logged.source_run_id_matches": logged.source_run_id == run_id,
        "logged.status": str(logged.status),
        "logged.params": logged.params,
        "logged.tag_deleted": "stage" not in logged.tags
        and "stage" not in client.get_logged_model(info.model_id).tags,
        "search.names": [model.name for model in found],
        "download.files": sorted(
            p.name for p in downloaded.iterdir() if p.name in ("MLmodel", "requirements.txt")
        ),
        "error.get_missing_model": error_code_of(lambda: client.get_logged_model("m-" + "0" * 32)),
    }
)
