"""The MLmodel file: round trip, MLflow's own files, malformed files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from trackstone.errors import InvalidParameter, NotFound
from trackstone.models.mlmodel import ModelMetadata, read_mlmodel, write_mlmodel
from trackstone.models.signature import ColSpec, ModelSignature, Schema, TensorSpec

METADATA = ModelMetadata(
    flavors={
        "python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl"},
        "sklearn": {"pickled_model": "model.pkl", "serialization_format": "pickle"},
    },
    model_uuid="0" * 32,
    utc_time_created="2025-01-31 12:00:00.000000",
    artifact_path="model",
    run_id="r" * 32,
    signature=ModelSignature(
        Schema((ColSpec("double", "x"),)), Schema((TensorSpec("int64", (-1,)),))
    ),
    saved_input_example_info={"artifact_path": "input_example.json", "type": "dataframe"},
    model_size_bytes=123,
    metadata={"team": "vision"},
    extra={"trackstone_version": "0.1.0"},
)

# What MLflow 3.x writes for a scikit-learn model (values shortened).
MLFLOW_MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: 1.9.1
    skops_trusted_types: null
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: null
model_size_bytes: 10678
model_uuid: 50b84f3fa8484a82a39e21dda950eb8e
prompts: null
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-01-26 13:52:34.922773'
"""


def test_round_trip(tmp_path: Path) -> None:
    write_mlmodel(METADATA, tmp_path)
    assert read_mlmodel(tmp_path) == METADATA


def test_written_keys_are_mlflows_and_signatures_are_json_strings(tmp_path: Path) -> None:
    written = yaml.safe_load(write_mlmodel(METADATA, tmp_path).read_text())
    assert sorted(written) == [
        "artifact_path",
        "flavors",
        "metadata",
        "model_size_bytes",
        "model_uuid",
        "run_id",
        "saved_input_example_info",
        "signature",
        "trackstone_version",
        "utc_time_created",
    ]
    assert written["signature"] == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
        "params": None,
    }


def test_absent_values_are_left_out(tmp_path: Path) -> None:
    bare = ModelMetadata(flavors={"sklearn": {}})
    assert yaml.safe_load(write_mlmodel(bare, tmp_path).read_text()) == {"flavors": {"sklearn": {}}}


def test_an_mlflow_mlmodel_is_read_and_its_other_keys_kept(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text(MLFLOW_MLMODEL)
    metadata = read_mlmodel(tmp_path)
    assert metadata.mlflow_version == "3.17.2"
    assert metadata.flavor("sklearn")["serialization_format"] == "skops"
    assert metadata.signature is not None and metadata.signature.inputs is not None
    assert metadata.signature.inputs.names() == ["a"]
    assert metadata.extra == {
        "is_signature_from_type_hint": False,
        "model_id": None,
        "prompts": None,
        "type_hint_from_example": False,
    }
    out = tmp_path / "again"
    out.mkdir()
    write_mlmodel(metadata, out)
    assert read_mlmodel(out) == metadata


def test_a_missing_flavor_is_named_with_those_present() -> None:
    with pytest.raises(InvalidParameter, match=r"no 'pytorch' flavor \(it has \['python_function'"):
        METADATA.flavor("pytorch")


MALFORMED = [
    # file content, part of the message
    ("flavors: [\n", "not valid YAML"),
    ("- a list\n", "expected a mapping"),
    ("run_id: abc\n", "'flavors' must map"),
    ("flavors: {sklearn: 3}\n", "'flavors' must map"),
    ("flavors: {}\nsignature: text\n", "'signature' must be a mapping"),
    ("flavors: {}\nsaved_input_example_info: 3\n", "'saved_input_example_info' must be"),
    ("flavors: {}\nsignature: {inputs: '[{\"type\": 1}]'}\n", r"signature.inputs\[0\]"),
]


@pytest.mark.parametrize(("content", "message"), MALFORMED)
def test_a_malformed_mlmodel_is_refused(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "MLmodel").write_text(content)
    with pytest.raises(InvalidParameter, match=message):
        read_mlmodel(tmp_path)


def test_a_folder_without_mlmodel_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no MLmodel file"):
        read_mlmodel(tmp_path)


def test_metadata_that_yaml_cannot_hold_is_refused(tmp_path: Path) -> None:
    odd: dict[str, Any] = {"thing": object()}
    with pytest.raises(InvalidParameter, match="metadata: values must be plain YAML data"):
        write_mlmodel(ModelMetadata(flavors={}, metadata=odd), tmp_path)
    assert not (tmp_path / "MLmodel").exists()
