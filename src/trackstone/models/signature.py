"""Model signatures: the input/output schemas of a model, in MLflow's JSON layout.

A signature holds an input ``Schema`` and optionally an output one. A schema is either a list
of columns (``ColSpec``: a name and one of MLflow's type names) for tabular data, or a list of
tensors (``TensorSpec``: a numpy dtype and a shape whose first dimension is the batch, ``-1``).
In an MLmodel file each schema is stored as a JSON *string*, as MLflow stores it::

    signature:
      inputs: '[{"type": "double", "name": "x", "required": true}]'
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
      params: null

``infer_signature`` builds one from example data (pandas or numpy are imported there only).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trackstone.errors import InvalidParameter

__all__ = [
    "COLUMN_TYPES",
    "ColSpec",
    "ModelSignature",
    "Schema",
    "TensorSpec",
    "infer_output_schema",
    "infer_schema",
    "infer_signature",
    "signature_from",
]

# MLflow's scalar column types, plus its composite ones (kept as read, never inferred here).
COLUMN_TYPES = frozenset(
    {"boolean", "integer", "long", "float", "double", "string", "binary", "datetime"}
)
_COMPOSITE_TYPES = frozenset({"array", "object", "map", "any"})
_TENSOR = "tensor"


@dataclass(frozen=True)
class ColSpec:
    """One column: an MLflow type name, an optional name, and whether it is required.

    ``details`` keeps the extra keys of composite types (``items``, ``properties``...).
    """

    type: str
    name: str | None = None
    required: bool = True
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES | _COMPOSITE_TYPES:
            raise InvalidParameter(
                f"type: expected one of {sorted(COLUMN_TYPES | _COMPOSITE_TYPES)}, "
                f"got {self.type!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Return MLflow's JSON form of this column."""
        out: dict[str, Any] = {"type": self.type, **self.details}
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out


@dataclass(frozen=True)
class TensorSpec:
    """One tensor: a numpy dtype name and a shape (``-1`` for a variable dimension)."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        if not self.dtype or not isinstance(self.dtype, str):
            raise InvalidParameter(f"dtype: expected a numpy dtype name, got {self.dtype!r}")
        if any(not isinstance(size, int) or size < -1 for size in self.shape):
            raise InvalidParameter(
                f"shape: expected sizes >= 0 or -1 (any), got {list(self.shape)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Return MLflow's JSON form of this tensor."""
        out: dict[str, Any] = {
            "type": _TENSOR,
            "tensor-spec": {"dtype": self.dtype, "shape": list(self.shape)},
        }
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class Schema:
    """A list of columns, or a list of tensors (never both)."""

    inputs: tuple[ColSpec | TensorSpec, ...]

    def __post_init__(self) -> None:
        kinds = {type(spec) for spec in self.inputs}
        if len(kinds) > 1:
            raise InvalidParameter("schema: cannot mix column and tensor specs")

    @property
    def is_tensor(self) -> bool:
        """Whether this schema describes tensors (numpy arrays) rather than columns."""
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    def names(self) -> list[str | None]:
        """Return the name of every column or tensor (None where unnamed)."""
        return [spec.name for spec in self.inputs]

    def to_json(self) -> str:
        """Return the JSON string MLflow stores in an MLmodel file."""
        return json.dumps([spec.to_dict() for spec in self.inputs])

    @classmethod
    def from_json(cls, text: str, where: str = "schema") -> Schema:
        """Parse MLflow's JSON form of a schema.

        Raises:
            InvalidParameter: the text is not a JSON list of column or tensor specs.
        """
        try:
            items = json.loads(text)
        except (TypeError, ValueError) as error:
            raise InvalidParameter(f"{where}: not valid JSON: {error}") from None
        if not isinstance(items, list):
            raise InvalidParameter(f"{where}: expected a JSON list, got {type(items).__name__}")
        return cls(tuple(_spec_from(item, f"{where}[{i}]") for i, item in enumerate(items)))


def _spec_from(item: Any, where: str) -> ColSpec | TensorSpec:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise InvalidParameter(f"{where}: expected an object with a 'type', got {item!r}")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidParameter(f"{where}.name: expected a string, got {name!r}")
    try:
        if item["type"] == _TENSOR:
            spec = item.get("tensor-spec")
            if not isinstance(spec, dict) or not isinstance(spec.get("shape"), list):
                raise InvalidParameter("tensor-spec: expected {'dtype': ..., 'shape': [...]}")
            return TensorSpec(str(spec.get("dtype", "")), tuple(spec["shape"]), name)
        details = {k: v for k, v in item.items() if k not in ("type", "name", "required")}
        return ColSpec(item["type"], name, bool(item.get("required", True)), details)
    except InvalidParameter as error:
        raise InvalidParameter(f"{where}.{error.message}") from None


@dataclass(frozen=True)
class ModelSignature:
    """What a model takes and returns; ``params`` is kept as MLflow's raw JSON string."""

    inputs: Schema | None
    outputs: Schema | None = None
    params: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """Return the MLmodel form: each schema as a JSON string (None when absent)."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSignature:
        """Parse the MLmodel form (``{"inputs": "<json>", "outputs": ..., "params": ...}``).

        Raises:
            InvalidParameter: a schema is malformed (the message names it).
        """
        schemas: dict[str, Schema | None] = {}
        for key in ("inputs", "outputs"):
            raw = data.get(key)
            schemas[key] = Schema.from_json(raw, f"signature.{key}") if raw else None
        params = data.get("params")
        if params is not None and not isinstance(params, str):
            params = json.dumps(params)
        return cls(schemas["inputs"], schemas["outputs"], params)


def signature_from(value: Any) -> ModelSignature | None:
    """Accept a ``ModelSignature``, its dict form, or an object with ``to_dict()`` (MLflow's).

    Raises:
        InvalidParameter: ``value`` is none of those.
    """
    if value is None or isinstance(value, ModelSignature):
        return value
    if isinstance(value, Mapping):
        return ModelSignature.from_dict(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return ModelSignature.from_dict(to_dict())
    raise InvalidParameter(
        f"signature: expected a ModelSignature or its dict form, got {type(value).__name__}"
    )


# -- inference -----------------------------------------------------------------------------


def _numeric_type(kind: str, itemsize: int) -> str | None:
    """MLflow's type for a numpy dtype kind/size: small ints are integer, 64-bit are long."""
    if kind == "b":
        return "boolean"
    if kind in "iu":
        if itemsize < 4 or (kind == "i" and itemsize == 4):
            return "integer"
        if itemsize < 8 or (kind == "i" and itemsize == 8):
            return "long"
        return None  # uint64 does not fit a long
    if kind == "f":
        return "float" if itemsize <= 4 else "double" if itemsize <= 8 else None
    if kind == "M":
        return "datetime"
    if kind == "U":
        return "string"
    if kind == "S":
        return "binary"
    return None


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _type_of_values(values: Sequence[Any], column: str) -> str:
    """Type of an object column from its values: all str, all bytes or all bool."""
    present = [value for value in values if not _is_missing(value)]
    for python_type, name in ((str, "string"), (bytes, "binary"), (bool, "boolean")):
        if present and all(isinstance(value, python_type) for value in present):
            return name
    kinds = sorted({type(value).__name__ for value in present}) or ["no values"]
    raise InvalidParameter(
        f"column {column!r}: cannot infer a type from values of type {', '.join(kinds)}; "
        "give an explicit signature"
    )


def _column_type(series: Any, column: str) -> str:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return "string"
    kind = getattr(dtype, "kind", "O")
    if kind == "O":
        return _type_of_values(list(series), column)
    found = _numeric_type(kind, int(getattr(dtype, "itemsize", 8)))
    if found is None:
        raise InvalidParameter(f"column {column!r}: unsupported dtype {dtype}")
    return found


def _tensor_spec(array: Any, name: str | None) -> TensorSpec:
    if array.dtype.kind == "O":
        raise InvalidParameter(
            f"input {name or 'array'}: cannot infer a tensor spec from an object array"
        )
    shape = (-1, *(int(size) for size in array.shape[1:])) if array.ndim else ()
    return TensorSpec(str(array.dtype), shape, name)


def infer_schema(data: Any) -> Schema:
    """Infer a schema from a DataFrame or Series (columns) or an ndarray / dict of them (tensors).

    Raises:
        InvalidParameter: the data is of another kind or holds a type MLflow has no name for.

    Example:
        >>> import pandas as pd
        >>> infer_schema(pd.DataFrame({"x": [1.0]})).to_json()
        '[{"type": "double", "name": "x", "required": true}]'
    """
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        columns = [
            ColSpec(_column_type(data[column], str(column)), str(column)) for column in data.columns
        ]
        return Schema(tuple(columns))
    if isinstance(data, pd.Series):
        name = None if data.name is None else str(data.name)
        return Schema((ColSpec(_column_type(data, name or "series"), name),))
    if isinstance(data, np.ndarray):
        return Schema((_tensor_spec(data, None),))
    if isinstance(data, Mapping) and data and all(isinstance(v, np.ndarray) for v in data.values()):
        return Schema(tuple(_tensor_spec(value, str(key)) for key, value in data.items()))
    raise InvalidParameter(
        f"cannot infer a schema from {type(data).__name__}: use a pandas DataFrame or Series, "
        "a numpy array, a dict of numpy arrays, or give an explicit signature"
    )


def infer_output_schema(model_input: Any, model_output: Any) -> Schema:
    """Infer the output schema; a 1-D prediction array for tabular input is one column."""
    import numpy as np
    import pandas as pd

    tabular = isinstance(model_input, (pd.DataFrame, pd.Series))
    if tabular and isinstance(model_output, np.ndarray) and model_output.ndim == 1:
        model_output = pd.Series(model_output)
    return infer_schema(model_output)


def infer_signature(model_input: Any, model_output: Any = None) -> ModelSignature:
    """Infer a signature from example input and, optionally, the model's output on it.

    A 1-D array of predictions for tabular input becomes one unnamed column, as MLflow does
    (one prediction per row), rather than a tensor.

    Example:
        >>> signature = infer_signature(frame, model.predict(frame))  # doctest: +SKIP
    """
    inputs = infer_schema(model_input)
    outputs = infer_output_schema(model_input, model_output) if model_output is not None else None
    return ModelSignature(inputs, outputs)
