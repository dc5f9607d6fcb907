"""Signature inference and the JSON form of schemas (MLflow's layout)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from trackstone.errors import InvalidParameter
from trackstone.models.signature import (
    ColSpec,
    ModelSignature,
    Schema,
    TensorSpec,
    infer_schema,
    infer_signature,
    signature_from,
)

INFERENCE_CASES = [
    # data, expected schema JSON (as a list)
    (pd.DataFrame({"x": [1.5]}), [{"type": "double", "name": "x", "required": True}]),
    (
        pd.DataFrame({"x": np.array([1.5], dtype=np.float32)}),
        [{"type": "float", "name": "x", "required": True}],
    ),
    (pd.DataFrame({"n": [1]}), [{"type": "long", "name": "n", "required": True}]),
    (
        pd.DataFrame({"n": np.array([1], dtype=np.int32)}),
        [{"type": "integer", "name": "n", "required": True}],
    ),
    (
        pd.DataFrame({"n": np.array([1], dtype=np.uint16)}),
        [{"type": "integer", "name": "n", "required": True}],
    ),
    (
        pd.DataFrame({"n": np.array([1], dtype=np.uint32)}),
        [{"type": "long", "name": "n", "required": True}],
    ),
    (pd.DataFrame({"b": [True]}), [{"type": "boolean", "name": "b", "required": True}]),
    (pd.DataFrame({"s": ["a", None]}), [{"type": "string", "name": "s", "required": True}]),
    (
        pd.DataFrame({"s": pd.Series(["a", float("nan")], dtype=object)}),
        [{"type": "string", "name": "s", "required": True}],
    ),
    (
        pd.DataFrame({"s": pd.Series(["a"], dtype=object)}),
        [{"type": "string", "name": "s", "required": True}],
    ),
    (pd.DataFrame({"raw": [b"\x00"]}), [{"type": "binary", "name": "raw", "required": True}]),
    (
        pd.DataFrame({"t": pd.to_datetime(["2024-01-01"])}),
        [{"type": "datetime", "name": "t", "required": True}],
    ),
    (
        pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}),
        [{"type": "long", "name": "n", "required": True}],
    ),
    (pd.DataFrame({3: [1.0]}), [{"type": "double", "name": "3", "required": True}]),
    (pd.Series([1.0, 2.0], name="y"), [{"type": "double", "name": "y", "required": True}]),
    (pd.Series([1, 2]), [{"type": "long", "required": True}]),
    (
        np.zeros((4, 3), dtype=np.float32),
        [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}],
    ),
    (
        np.zeros((4, 2, 5), dtype=np.uint8),
        [{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2, 5]}}],
    ),
    (
        np.zeros(7, dtype=np.int64),
        [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}],
    ),
    (
        {"image": np.zeros((2, 4), dtype=np.float64), "mask": np.zeros((2,), dtype=np.bool_)},
        [
            {
                "type": "tensor",
                "tensor-spec": {"dtype": "float64", "shape": [-1, 4]},
                "name": "image",
            },
            {"type": "tensor", "tensor-spec": {"dtype": "bool", "shape": [-1]}, "name": "mask"},
        ],
    ),
]


@pytest.mark.parametrize(("data", "expected"), INFERENCE_CASES)
def test_infer_schema(data: Any, expected: list[dict[str, Any]]) -> None:
    schema = infer_schema(data)
    assert json.loads(schema.to_json()) == expected
    assert Schema.from_json(schema.to_json()) == schema


REFUSED_CASES = [
    # data, part of the message
    (pd.DataFrame({"mixed": [1, "a"]}), "column 'mixed'"),
    (pd.DataFrame({"arrays": [np.zeros(2), np.ones(2)]}), "column 'arrays'"),
    (pd.DataFrame({"big": np.array([1], dtype=np.uint64)}), "column 'big'"),
    (np.array([object()], dtype=object), "object array"),
    ([1, 2, 3], "cannot infer a schema from list"),
    ({"a": [1]}, "cannot infer a schema from dict"),
]


@pytest.mark.parametrize(("data", "message"), REFUSED_CASES)
def test_infer_schema_refuses_what_has_no_mlflow_type(data: Any, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        infer_schema(data)


SIGNATURE_CASES = [
    # input, output, expected outputs JSON
    (
        pd.DataFrame({"x": [1.0, 2.0]}),
        np.array([0, 1]),
        [{"type": "long", "required": True}],  # one prediction per row: a column
    ),
    (
        np.zeros((2, 3), dtype=np.float32),
        np.array([0, 1]),
        [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}],
    ),
    (
        pd.DataFrame({"x": [1.0, 2.0]}),
        pd.DataFrame({"p": [0.1, 0.9]}),
        [{"type": "double", "name": "p", "required": True}],
    ),
    (
        pd.DataFrame({"x": [1.0, 2.0]}),
        np.zeros((2, 2), dtype=np.float64),
        [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}],
    ),
]


@pytest.mark.parametrize(("model_input", "model_output", "outputs"), SIGNATURE_CASES)
def test_infer_signature_outputs(
    model_input: Any, model_output: Any, outputs: list[dict[str, Any]]
) -> None:
    signature = infer_signature(model_input, model_output)
    stored = signature.to_dict()
    assert stored["outputs"] is not None and json.loads(stored["outputs"]) == outputs
    assert ModelSignature.from_dict(stored) == signature


def test_a_signature_without_output_stores_null() -> None:
    signature = infer_signature(pd.DataFrame({"x": [1.0]}))
    assert signature.to_dict() == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": None,
        "params": None,
    }


def test_mlflow_composite_types_are_kept_as_read() -> None:
    text = (
        '[{"type": "array", "items": {"type": "string"}, "name": "tags", "required": false}, '
        '{"type": "double", "name": "x", "required": true}]'
    )
    schema = Schema.from_json(text)
    assert schema.inputs[0] == ColSpec("array", "tags", False, {"items": {"type": "string"}})
    assert json.loads(schema.to_json()) == json.loads(text)


MALFORMED_SCHEMAS = [
    # JSON text, part of the message
    ("not json", "signature.inputs: not valid JSON"),
    ('{"type": "double"}', "signature.inputs: expected a JSON list"),
    ('[{"name": "x"}]', r"signature.inputs\[0\]: expected an object with a 'type'"),
    ('[{"type": "decimal", "name": "x"}]', r"signature.inputs\[0\].type: expected one of"),
    ('[{"type": "tensor"}]', r"signature.inputs\[0\].tensor-spec"),
    (
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-2]}}]',
        r"signature.inputs\[0\].shape",
    ),
    ('[{"type": "double", "name": 3}]', r"signature.inputs\[0\].name: expected a string"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED_SCHEMAS)
def test_malformed_schemas_are_refused_with_their_place(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        ModelSignature.from_dict({"inputs": text})


def test_a_schema_cannot_mix_columns_and_tensors() -> None:
    with pytest.raises(InvalidParameter, match="cannot mix"):
        Schema((ColSpec("double", "x"), TensorSpec("float32", (-1,))))


class _ForeignSignature:
    """Stands for MLflow's ModelSignature: anything with a to_dict() of the MLmodel form."""

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": '[{"type": "long", "name": "n", "required": true}]', "outputs": None}


SIGNATURE_ARGUMENTS = [
    (None, None),
    (
        ModelSignature(Schema((ColSpec("long", "n"),))),
        ModelSignature(Schema((ColSpec("long", "n"),))),
    ),
    (
        {"inputs": '[{"type": "long", "name": "n", "required": true}]'},
        ModelSignature(Schema((ColSpec("long", "n"),))),
    ),
    (_ForeignSignature(), ModelSignature(Schema((ColSpec("long", "n"),)))),
]


@pytest.mark.parametrize(("value", "expected"), SIGNATURE_ARGUMENTS)
def test_signature_from_accepts_its_forms(value: Any, expected: ModelSignature | None) -> None:
    assert signature_from(value) == expected


def test_signature_from_refuses_other_values() -> None:
    with pytest.raises(InvalidParameter, match="signature: expected a ModelSignature"):
        signature_from(42)
