"""Models cross over: MLflow loads what Trackstone saved, and Trackstone loads what MLflow saved.

The MLflow side runs in its own virtualenv (``mlflow_env``) from ``mlflow_scripts/``; both
sides see the same data and must predict the same.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import trackstone
import trackstone.pyfunc
import trackstone.sklearn
from support.fluent_tracking import fluent_server  # noqa: F401  (fixture server)
from support.mlflow_env import MlflowEnv, mlflow_env  # noqa: F401  (fixture)
from support.mlflow_scripts import SCRIPTS
from support.server_process import ServerProcess
from trackstone.models.hashes import HASH_FILE_NAME

RNG = np.random.default_rng(3)
FRAME = pd.DataFrame(
    {"a": RNG.normal(size=30), "b": RNG.integers(0, 5, size=30), "c": RNG.normal(size=30)}
)
LABELS = ((FRAME["a"] - FRAME["c"] + 0.3 * FRAME["b"]) > 0.5).astype(int).tolist()


def _data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.json"
    body = {
        "columns": list(FRAME.columns),
        "data": FRAME.to_numpy(dtype=object).tolist(),
        "labels": LABELS,
    }
    path.write_text(json.dumps(body))
    return path


def _run(mlflow_env: MlflowEnv, script: str, tmp_path: Path, *args: str) -> Any:  # noqa: F811
    return mlflow_env.run_script(
        SCRIPTS / script, (tmp_path / "mlruns").as_uri(), tmp_path / "work", *args
    )


def test_mlflow_loads_a_model_trackstone_saved(
    mlflow_env: MlflowEnv,  # noqa: F811
    tmp_path: Path,
) -> None:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(FRAME, LABELS)
    model_dir = tmp_path / "model"
    trackstone.sklearn.save_model(model, model_dir, input_example=FRAME.head(4))
    expected = [int(value) for value in model.predict(FRAME)]

    result = _run(
        mlflow_env, "model_format_load.py", tmp_path, str(model_dir), str(_data_file(tmp_path))
    )

    assert result["pyfunc.predictions"] == expected
    assert result["sklearn.predictions"] == expected
    assert result["sklearn.class"] == "LogisticRegression"
    assert result["loader_module"] == "mlflow.sklearn"
    assert json.loads(result["signature.inputs"]) == [
        {"type": "double", "name": "a", "required": True},
        {"type": "long", "name": "b", "required": True},
        {"type": "double", "name": "c", "required": True},
    ]
    assert json.loads(result["signature.outputs"]) == [{"type": "long", "required": True}]
    assert (result["input_example.columns"], result["input_example.rows"]) == (["a", "b", "c"], 4)
    # No mlflow_version in MLmodel, no mlflow in the requirements: MLflow loads it silently.
    assert result["warnings"] == []


FORMATS = ["pickle", "cloudpickle"]


@pytest.mark.parametrize("serialization_format", FORMATS)
def test_trackstone_loads_a_model_mlflow_saved(
    mlflow_env: MlflowEnv,  # noqa: F811
    tmp_path: Path,
    serialization_format: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model_dir = tmp_path / "mlflow-model"
    result = _run(
        mlflow_env,
        "model_format_save.py",
        tmp_path,
        str(model_dir),
        str(_data_file(tmp_path)),
        serialization_format,
    )
    mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == serialization_format
    assert not (model_dir / HASH_FILE_NAME).exists()

    with caplog.at_level(logging.WARNING, logger="trackstone.models.load"):
        model = trackstone.pyfunc.load_model(model_dir)
    assert [int(value) for value in model.predict(FRAME)] == result["predictions"]
    assert "cannot be verified" in caplog.text
    assert model.metadata.mlflow_version == mlflow_env.version
    assert model.metadata.signature is not None

    estimator = trackstone.sklearn.load_model(model_dir.as_uri())
    assert [int(value) for value in estimator.predict(FRAME)] == result["predictions"]


def test_mlflow_loads_by_runs_uri_a_model_trackstone_logged_to_a_server(
    mlflow_env: MlflowEnv,  # noqa: F811
    server: ServerProcess,
    tmp_path: Path,
) -> None:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(FRAME, LABELS)
    with trackstone.start_run():
        info = trackstone.sklearn.log_model(model, name="model", input_example=FRAME.head(4))
    expected = [int(value) for value in model.predict(FRAME)]

    result = mlflow_env.run_script(
        SCRIPTS / "model_format_load.py",
        server.url,
        tmp_path / "work",
        info.model_uri,
        str(_data_file(tmp_path)),
    )

    assert result["pyfunc.predictions"] == expected
    assert result["sklearn.predictions"] == expected
    assert result["input_example.rows"] == 4
    assert result["warnings"] == []
    # and back through the server with Trackstone's own loader
    loaded = trackstone.pyfunc.load_model(info.model_uri)
    assert [int(value) for value in loaded.predict(FRAME)] == expected
