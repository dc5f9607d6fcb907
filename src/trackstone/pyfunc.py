"""The generic loader: any model with a ``python_function`` flavor, as one ``predict(data)``.

The MLmodel's ``loader_module`` picks the flavor that loads it: MLflow's names
(``mlflow.sklearn``, ``mlflow.xgboost``, ``mlflow.lightgbm``, ``mlflow.pytorch``) map to
Trackstone's modules of the same flavor, so models saved by either tool load here. Before
anything is unpickled the model's file hashes are checked (``trackstone.models.hashes``).

Example:
    >>> model = trackstone.pyfunc.load_model(f"runs:/{run_id}/model")  # doctest: +SKIP
    >>> model.predict(frame)
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from trackstone.errors import InvalidParameter
from trackstone.models.load import LoadedModel, OpenedModel, load_with
from trackstone.models.mlmodel import PYFUNC_FLAVOR, ModelMetadata
from trackstone.models.signature import ColSpec, Schema, TensorSpec

__all__ = ["FLAVOR_NAME", "LOADER_MODULES", "PyFuncModel", "load_model"]

FLAVOR_NAME = PYFUNC_FLAVOR
_FLAVORS = ("sklearn", "xgboost", "lightgbm", "pytorch")
# loader_module in MLmodel -> the Trackstone module that loads it
LOADER_MODULES = {
    **{f"mlflow.{flavor}": f"trackstone.{flavor}" for flavor in _FLAVORS},
    **{f"trackstone.{flavor}": f"trackstone.{flavor}" for flavor in _FLAVORS},
}


class PyFuncModel:
    """A loaded model: ``predict(data)`` plus the MLmodel ``metadata`` it came with."""

    def __init__(self, metadata: ModelMetadata, loaded: LoadedModel, loader_module: str) -> None:
        self._metadata = metadata
        self._loaded = loaded
        self.loader_module = loader_module

    @property
    def metadata(self) -> ModelMetadata:
        """The model's MLmodel contents (flavors, signature, run id...)."""
        return self._metadata

    def get_raw_model(self) -> Any:
        """Return the framework's own model object (estimator, booster, module)."""
        return self._loaded.raw_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Return the model's predictions for ``data`` (a DataFrame or numpy array).

        With a column signature, a DataFrame's columns are put in the signature's order and
        a numpy array gets the signature's column names; missing columns are refused.

        Raises:
            InvalidParameter: the data lacks a required column or has the wrong shape.
        """
        if params:
            raise InvalidParameter(f"params: this model takes no parameters, got {sorted(params)}")
        signature = self._metadata.signature
        if signature is not None and signature.inputs is not None:
            data = _conform(data, signature.inputs)
        return self._loaded.predict(data)

    def __repr__(self) -> str:
        where = self._metadata.run_id or "a local folder"
        return f"<PyFuncModel {self.loader_module} from {where}>"


def _conform(data: Any, schema: Schema) -> Any:
    """Apply the light parts of schema enforcement: column order and names, tensor shapes."""
    import numpy as np
    import pandas as pd

    specs = schema.inputs
    if not specs:
        return data
    if isinstance(specs[0], ColSpec):
        names = [spec.name for spec in specs]
        if None in names:
            return data
        if isinstance(data, np.ndarray) and data.ndim == 2 and data.shape[1] == len(names):
            return pd.DataFrame(data, columns=names)
        if isinstance(data, pd.DataFrame):
            missing = [
                spec.name
                for spec in specs
                if isinstance(spec, ColSpec) and spec.required and spec.name not in data.columns
            ]
            if missing:
                raise InvalidParameter(
                    f"data: missing column(s) {missing} required by the model's signature"
                )
            present = [name for name in names if name in data.columns]
            return data[present]
        return data
    spec = specs[0]
    if len(specs) == 1 and isinstance(spec, TensorSpec) and isinstance(data, np.ndarray):
        expected = spec.shape
        if len(expected) != data.ndim or any(
            size not in (-1, actual) for size, actual in zip(expected, data.shape, strict=True)
        ):
            raise InvalidParameter(
                f"data: shape {list(data.shape)} does not match the signature's "
                f"{list(expected)} (-1 means any size)"
            )
    return data


def _loader_module(metadata: ModelMetadata) -> str:
    conf = metadata.flavor(PYFUNC_FLAVOR)
    loader = conf.get("loader_module")
    module = LOADER_MODULES.get(str(loader))
    if module is None:
        raise InvalidParameter(
            f"flavors.python_function.loader_module: {loader!r} is not supported; "
            f"Trackstone loads {sorted(LOADER_MODULES)}"
        )
    return module


def load_model(model_uri: str | os.PathLike[str], suppress_warnings: bool = False) -> PyFuncModel:
    """Load a model as a ``PyFuncModel`` from a local path, ``file://``, ``runs:/`` or ``models:/``.

    Args:
        model_uri: where the model is.
        suppress_warnings: accepted for MLflow compatibility (warnings are logged).

    Raises:
        InvalidState: the model's files changed since it was saved (the file is named).
        InvalidParameter: the model has no ``python_function`` flavor, or its loader module
            is not one Trackstone supports.
        NotFound: no model there.
    """

    def load(opened: OpenedModel) -> PyFuncModel:
        module_name = _loader_module(opened.metadata)
        module = importlib.import_module(module_name)
        return PyFuncModel(opened.metadata, module.load_pyfunc(opened), module_name)

    return load_with(model_uri, load)
