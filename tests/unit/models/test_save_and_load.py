"""Saving a model folder and loading it by path or file:// URI, with hash checks and schema."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import trackstone.pyfunc
import trackstone.sklearn
from trackstone.errors import AlreadyExists, InvalidParameter, InvalidState, NotFound
from trackstone.models.hashes import HASH_FILE_NAME
from trackstone.models.load import OpenedModel, model_file, open_model
from trackstone.models.mlmodel import ModelMetadata
from trackstone.models.signature import ColSpec, ModelSignature, Schema


class Doubler:
    """A stand-in estimator: predictable, picklable, with predict and predict_proba."""

    def predict(self, data: Any) -> Any:
        return np.asarray(data["x"] if isinstance(data, pd.DataFrame) else data) * 2

    def predict_proba(self, data: Any) -> Any:
        return np.full(len(data), 0.5)


FRAME = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "model"
    trackstone.sklearn.save_model(Doubler(), path, input_example=FRAME)
    return path


def test_save_writes_mlflows_layout(saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == [
        "MLmodel",
        "conda.yaml",
        "input_example.json",
        "model.pkl",
        "python_env.yaml",
        "requirements.txt",
        "serving_input_example.json",
        HASH_FILE_NAME,
    ]
    mlmodel = yaml.safe_load((saved / "MLmodel").read_text())
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "pickle"
    assert mlmodel["signature"]["outputs"] == '[{"type": "double", "required": true}]'
    assert "mlflow_version" not in mlmodel and "run_id" not in mlmodel
    assert (saved / "requirements.txt").read_text().startswith("scikit-learn==")


LOCATIONS = [
    lambda path: path,
    lambda path: str(path),
    lambda path: path.as_uri(),
]


@pytest.mark.parametrize("location", LOCATIONS, ids=["Path", "str", "file-uri"])
def test_load_by_path_or_file_uri(saved: Path, location: Any) -> None:
    model = trackstone.pyfunc.load_model(location(saved))
    np.testing.assert_array_equal(model.predict(FRAME), [2.0, 4.0, 6.0])
    assert isinstance(model.get_raw_model(), Doubler)
    assert model.loader_module == "trackstone.sklearn"


def test_saving_over_a_model_is_refused(saved: Path) -> None:
    with pytest.raises(AlreadyExists, match="already exists"):
        trackstone.sklearn.save_model(Doubler(), saved)


def test_a_failed_save_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="input_example"):
        trackstone.sklearn.save_model(Doubler(), tmp_path / "m", input_example=[1, 2])
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_predict_fn_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="pyfunc_predict_fn: the model has no method 'nope'"):
        trackstone.sklearn.save_model(Doubler(), tmp_path / "m", pyfunc_predict_fn="nope")


def test_predict_fn_is_what_pyfunc_calls(tmp_path: Path) -> None:
    trackstone.sklearn.save_model(Doubler(), tmp_path / "m", pyfunc_predict_fn="predict_proba")
    model = trackstone.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(model.predict(FRAME), [0.5, 0.5, 0.5])


def test_a_tampered_pickle_is_refused_before_it_is_loaded(saved: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    # Unpickling this would create the marker file: the hash check must stop it first.
    payload = pickle.dumps(_Exploit(str(marker)))
    (saved / "model.pkl").write_bytes(payload)
    with pytest.raises(InvalidState, match=r"file 'model\.pkl' changed"):
        trackstone.pyfunc.load_model(saved)
    assert not marker.exists()
    # Control: without the hash file the same pickle does run its code when loaded.
    (saved / HASH_FILE_NAME).unlink()
    with pytest.raises(InvalidParameter, match="has no method 'predict'"):
        trackstone.pyfunc.load_model(saved)
    assert marker.exists()


class _Exploit:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(self.path),))


def test_a_model_without_hashes_loads_with_a_warning(
    saved: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (saved / HASH_FILE_NAME).unlink()
    with caplog.at_level(logging.WARNING, logger="trackstone.models.load"):
        model = trackstone.sklearn.load_model(saved)
    assert isinstance(model, Doubler)
    assert "cannot be verified" in caplog.text


def test_a_missing_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no model folder"):
        trackstone.pyfunc.load_model(tmp_path / "nothing")


def test_an_unsupported_loader_module_is_named(saved: Path) -> None:
    _edit_mlmodel(saved, lambda d: d["flavors"]["python_function"].update(loader_module="x.y"))
    with pytest.raises(InvalidParameter, match=r"loader_module: 'x\.y' is not supported"):
        trackstone.pyfunc.load_model(saved)


def _edit_mlmodel(path: Path, change: Any) -> None:
    """Change MLmodel and forget the hashes (as if MLflow had written the model)."""
    data = yaml.safe_load((path / "MLmodel").read_text())
    change(data)
    (path / "MLmodel").write_text(yaml.safe_dump(data))
    (path / HASH_FILE_NAME).unlink()


ESCAPES = ["../outside.pkl", "/etc/passwd", "data/../../x"]


@pytest.mark.parametrize("relative", ESCAPES)
def test_flavor_files_must_stay_inside_the_model(tmp_path: Path, relative: str) -> None:
    opened = OpenedModel(tmp_path, ModelMetadata(flavors={}), verified=True)
    with pytest.raises(InvalidParameter, match="points outside the model folder"):
        model_file(opened, relative, "flavors.sklearn.pickled_model")


def test_open_model_reports_verification(saved: Path) -> None:
    assert open_model(saved).verified is True


SIGNATURE = ModelSignature(Schema((ColSpec("double", "x"), ColSpec("long", "y"))))


def test_pyfunc_orders_columns_and_names_arrays_by_signature(tmp_path: Path) -> None:
    trackstone.sklearn.save_model(Doubler(), tmp_path / "m", signature=SIGNATURE)
    model = trackstone.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(model.predict(FRAME[["y", "x"]]), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(model.predict(np.array([[5.0, 1.0]])), [10.0])
    with pytest.raises(InvalidParameter, match=r"missing column\(s\) \['y'\]"):
        model.predict(FRAME[["x"]])


class Broken(Doubler):
    """An estimator whose predict fails: saving must still work, without an output schema."""

    def predict(self, data: Any) -> Any:
        raise RuntimeError("not fitted")


def test_a_failing_predict_saves_the_input_schema_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="trackstone.models.save"):
        metadata = trackstone.sklearn.save_model(Broken(), tmp_path / "m", input_example=FRAME)
    assert metadata.signature is not None and metadata.signature.outputs is None
    assert metadata.signature.inputs is not None
    assert metadata.signature.inputs.names() == ["x", "y"]
    assert "could not infer the output schema" in caplog.text
