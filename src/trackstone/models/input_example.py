"""Input examples: saved beside a model in MLflow's layout, and read back.

A DataFrame is stored as ``{"columns": [...], "data": [[...], ...]}`` (pandas' "split" orient
without the index) with ``type: dataframe``; a numpy array as nested lists (a dict of arrays
as a dict of nested lists) with ``type: ndarray``. ``serving_input_example.json`` holds the
same data as a scoring-server request body (``dataframe_split`` / ``inputs``). Missing values
become JSON ``null``, timestamps ISO 8601 text, bytes base64 text.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trackstone.errors import InvalidParameter, NotFound
from trackstone.models.signature import ModelSignature

__all__ = [
    "EXAMPLE_FILE_NAME",
    "SERVING_EXAMPLE_FILE_NAME",
    "load_input_example",
    "save_input_example",
]

EXAMPLE_FILE_NAME = "input_example.json"
SERVING_EXAMPLE_FILE_NAME = "serving_input_example.json"


def _plain(value: Any) -> Any:
    """Turn numpy/pandas scalars and containers into what JSON can hold."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, int, float, bool)):
        value = value.item()  # a numpy scalar
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise InvalidParameter(
        f"input_example: cannot store a value of type {type(value).__name__} as JSON"
    )


def _example_bodies(example: Any) -> tuple[Any, Any, dict[str, Any]]:
    """Return (input_example.json body, serving body, saved_input_example_info extras)."""
    import numpy as np
    import pandas as pd

    if isinstance(example, pd.Series):
        example = example.to_frame()
    if isinstance(example, pd.DataFrame):
        split = {
            "columns": [str(column) for column in example.columns],
            "data": _plain(example.to_numpy(dtype=object).tolist()),
        }
        return split, {"dataframe_split": split}, {"type": "dataframe", "pandas_orient": "split"}
    if isinstance(example, np.ndarray):
        data = _plain(example.tolist())
        return data, {"inputs": data}, {"type": "ndarray"}
    if isinstance(example, Mapping) and all(isinstance(v, np.ndarray) for v in example.values()):
        tensors = {str(key): _plain(value.tolist()) for key, value in example.items()}
        return tensors, {"inputs": tensors}, {"type": "ndarray"}
    raise InvalidParameter(
        f"input_example: expected a pandas DataFrame or Series, a numpy array or a dict of "
        f"numpy arrays, got {type(example).__name__}"
    )


def save_input_example(example: Any, model_dir: Path) -> dict[str, Any]:
    """Write the example files into ``model_dir``; return the MLmodel's example info.

    Raises:
        InvalidParameter: the example is of an unsupported kind or holds unstorable values.
    """
    body, serving, info = _example_bodies(example)
    root = Path(model_dir)
    (root / EXAMPLE_FILE_NAME).write_text(json.dumps(body), encoding="utf-8")
    (root / SERVING_EXAMPLE_FILE_NAME).write_text(json.dumps(serving, indent=2), encoding="utf-8")
    return {
        "artifact_path": EXAMPLE_FILE_NAME,
        **info,
        "serving_input_path": SERVING_EXAMPLE_FILE_NAME,
    }


def _tensor_dtype(signature: ModelSignature | None, index: int) -> str | None:
    if signature is None or signature.inputs is None or not signature.inputs.is_tensor:
        return None
    specs = signature.inputs.inputs
    spec = specs[index] if index < len(specs) else None
    return getattr(spec, "dtype", None)


def load_input_example(
    model_dir: Path,
    info: Mapping[str, Any] | None,
    signature: ModelSignature | None = None,
) -> Any:
    """Read a saved example back as a DataFrame or numpy array (dict of arrays); None if none.

    Arrays get the dtype the input signature names, so a float32 example stays float32.

    Raises:
        NotFound: the info names a file that does not exist.
        InvalidParameter: the example type is not one written by these functions or MLflow's
            ``dataframe``/``ndarray``.
    """
    import numpy as np
    import pandas as pd

    if info is None:
        return None
    path = Path(model_dir) / str(info.get("artifact_path", EXAMPLE_FILE_NAME))
    if not path.is_file():
        raise NotFound(f"input example {path.name!r}: missing from model {str(model_dir)!r}")
    body = json.loads(path.read_text(encoding="utf-8"))
    kind = info.get("type")
    if kind == "dataframe":
        if isinstance(body, Mapping) and "dataframe_split" in body:
            body = body["dataframe_split"]
        return pd.DataFrame(body["data"], columns=body["columns"])
    if kind == "ndarray":
        if isinstance(body, Mapping) and set(body) == {"inputs"}:
            body = body["inputs"]  # older MLflow wrapped arrays this way
        if isinstance(body, Mapping):
            return {
                key: np.asarray(value, dtype=_tensor_dtype(signature, i))
                for i, (key, value) in enumerate(body.items())
            }
        return np.asarray(body, dtype=_tensor_dtype(signature, 0))
    raise InvalidParameter(f"saved_input_example_info.type: unsupported example type {kind!r}")
