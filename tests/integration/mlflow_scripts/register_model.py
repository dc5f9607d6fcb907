"""MLflow 3's registration flow: ``log_model(registered_model_name=...)``, ``register_model``,
then loading the registered versions back by version, ``@alias``, ``latest`` and stage."""

from __future__ import annotations

import json

import mlflow
import mlflow.sklearn
import numpy as np
import requests
from mlflow import MlflowClient
from outcome import emit, error_code_of
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(0)
features = rng.normal(size=(40, 3))
labels = (features @ np.array([1.0, -2.0, 0.5]) > 0).astype(int)
first = LogisticRegression(C=1.0).fit(features, labels)
second = LogisticRegression(C=0.01).fit(features, 1 - labels)
client = MlflowClient()

mlflow.set_experiment("register-script")
with mlflow.start_run() as run:
    logged = mlflow.sklearn.log_model(first, name="model", registered_model_name="iris")
with mlflow.start_run() as other_run:
    mlflow.sklearn.log_model(second, name="model")
# A runs:/ URI whose run holds no files at that path: MLflow 3 finds the logged model and
# registers it by its models:/<model_id> source.
registered = mlflow.register_model(f"runs:/{other_run.info.run_id}/model", "iris")

version_1 = client.get_model_version("iris", "1")
version_2 = client.get_model_version("iris", registered.version)
client.set_registered_model_alias("iris", "champion", registered.version)
client.transition_model_version_stage("iris", "1", "Production")

by_number = mlflow.pyfunc.load_model("models:/iris/1")
by_alias = mlflow.pyfunc.load_model("models:/iris@champion")
by_latest = mlflow.sklearn.load_model("models:/iris/latest")
by_stage = mlflow.pyfunc.load_model("models:/iris/Production")
expected_first = first.predict(features).tolist()
expected_second = second.predict(features).tolist()
model_tag = client.get_logged_model(logged.model_id).tags.get("mlflow.modelVersions")
# MLflow's ModelVersion.from_proto leaves model_id out, so read the server's JSON for it.
raw_version_1 = requests.get(
    f"{mlflow.get_tracking_uri()}/api/2.0/mlflow/model-versions/get",
    params={"name": "iris", "version": "1"},
    timeout=30,
).json()["model_version"]

emit(
    {
        "versions": [version_1.version, version_2.version],
        "version_1.model_id_matches": raw_version_1["model_id"] == logged.model_id,
        "version_1.run_id_matches": version_1.run_id == run.info.run_id,
        "version_1.source": version_1.source == f"models:/{logged.model_id}",
        "version_2.source_is_logged_model": version_2.source.startswith("models:/m-"),
        "version_2.run_id_matches": version_2.run_id == other_run.info.run_id,
        "logged_model.version_tag": json.loads(model_tag) if model_tag else None,
        "load.by_number": by_number.predict(features).tolist() == expected_first,
        "load.by_alias": by_alias.predict(features).tolist() == expected_second,
        "load.latest": by_latest.predict(features).tolist() == expected_second,
        "load.by_stage": by_stage.predict(features).tolist() == expected_first,
        "download_uri.scheme": client.get_model_version_download_uri("iris", "1").split(":")[0],
        "error.load_missing_version": error_code_of(
            lambda: mlflow.pyfunc.load_model("models:/iris/7")
        ),
        "error.load_missing_alias": error_code_of(
            lambda: mlflow.pyfunc.load_model("models:/iris@nobody")
        ),
        "error.load_alias_of_missing_model": error_code_of(
            lambda: mlflow.pyfunc.load_model("models:/nope@champion")
        ),
    }
)
