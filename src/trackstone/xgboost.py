"""The XGBoost flavor: save, log and load boosters in MLflow's ``xgboost`` layout.

A ``Booster`` or a scikit-learn style model (``XGBClassifier``...) is written with XGBoost's
own ``save_model`` (UBJSON, ``model.ubj``), not pickled; MLflow's ``mlflow.xgboost`` loads it
and models MLflow saved load here. ``model_class`` in MLmodel must name a class of the
``xgboost`` package.

Example:
    >>> import trackstone.xgboost  # doctest: +SKIP
    >>> info = trackstone.xgboost.log_model(booster, name="model", input_example=x[:5])
    >>> trackstone.xgboost.load_model(info.model_uri).predict(xgboost.DMatrix(x))
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trackstone.errors import InvalidParameter
from trackstone.models.environment import pinned
from trackstone.models.load import LoadedModel, OpenedModel, load_with, model_file
from trackstone.models.mlmodel import ModelMetadata
from trackstone.models.model_info import ModelInfo
from trackstone.models.run_logging import log_model_to_run
from trackstone.models.save import Flavor, SaveOptions, class_path, save_model_dir

__all__ = ["FLAVOR_NAME", "LOADER_MODULE", "load_model", "load_pyfunc", "log_model", "save_model"]

FLAVOR_NAME = "xgboost"
LOADER_MODULE = "mlflow.xgboost"
_FORMATS = ("ubj", "json", "xgb")
_PACKAGE = "xgboost"


def _xgb() -> Any:
    return importlib.import_module(_PACKAGE)


def _predict_with(model: Any) -> Any:
    """Predict like MLflow's wrapper: a Booster takes a DMatrix, the sklearn API data as is."""
    xgb = _xgb()
    if isinstance(model, xgb.Booster):
        return lambda data: model.predict(xgb.DMatrix(data))
    return model.predict


def _flavor(xgb_model: Any, model_format: str) -> Flavor:
    xgb = _xgb()
    if not isinstance(xgb_model, (xgb.Booster, xgb.XGBModel)):
        raise InvalidParameter(
            f"xgb_model: expected an xgboost Booster or XGBModel, got {class_path(xgb_model)}"
        )
    if model_format not in _FORMATS:
        raise InvalidParameter(f"model_format: expected one of {_FORMATS}, got {model_format!r}")
    file_name = f"model.{model_format}"

    def write(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        xgb_model.save_model(str(root / file_name))
        flavor_conf = {
            "data": file_name,
            "model_class": class_path(xgb_model),
            "model_format": model_format,
            "xgb_version": str(xgb.__version__),
            "code": None,
        }
        return flavor_conf, {"data": file_name}

    return Flavor(
        name=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        write=write,
        predict=_predict_with(xgb_model),
        requirements=[pinned("xgboost")],
    )


def save_model(
    xgb_model: Any,
    path: str | os.PathLike[str],
    input_example: Any = None,
    signature: Any = None,
    *,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    model_format: str = "ubj",
) -> ModelMetadata:
    """Save an XGBoost model as a model folder at ``path``.

    Args:
        xgb_model: a trained ``xgboost.Booster`` or ``XGBModel`` (``XGBClassifier``...).
        path: a folder that does not exist yet (or is empty).
        input_example: a DataFrame or numpy array; saved, and used to infer the signature.
        signature: an explicit ``ModelSignature`` (``False`` for none).
        pip_requirements: replaces the default requirements (xgboost and numpy pinned).
        extra_pip_requirements: added to the default requirements.
        metadata: free-form metadata stored in MLmodel.
        model_format: ``ubj`` (default), ``json`` or ``xgb`` (XGBoost's own formats).

    Raises:
        AlreadyExists: ``path`` exists and is not empty.
        InvalidParameter: not an XGBoost model, or the example/signature is unusable.
    """
    options = SaveOptions(
        input_example, signature, pip_requirements, extra_pip_requirements, metadata
    )
    return save_model_dir(path, _flavor(xgb_model, model_format), options)


def log_model(
    xgb_model: Any,
    name: str | None = None,
    input_example: Any = None,
    signature: Any = None,
    registered_model_name: str | None = None,
    *,
    artifact_path: str | None = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    model_format: str = "ubj",
) -> ModelInfo:
    """Log an XGBoost model under the active run (started if none) at ``name``.

    Arguments as in ``save_model``; ``registered_model_name`` also registers it.
    """
    options = SaveOptions(
        input_example, signature, pip_requirements, extra_pip_requirements, metadata
    )
    flavor = _flavor(xgb_model, model_format)
    return log_model_to_run(flavor, name, artifact_path, options, registered_model_name)


def _load(opened: OpenedModel) -> Any:
    conf = opened.metadata.flavor(FLAVOR_NAME)
    class_name = str(conf.get("model_class", "xgboost.core.Booster"))
    module_name, _, attribute = class_name.rpartition(".")
    # The class is instantiated by name: only XGBoost's own classes, never any importable one.
    if module_name.split(".")[0] != _PACKAGE:
        raise InvalidParameter(
            f"flavors.xgboost.model_class: {class_name!r} is not a class of the xgboost package"
        )
    model_class = getattr(importlib.import_module(module_name), attribute, None)
    if not isinstance(model_class, type):
        raise InvalidParameter(f"flavors.xgboost.model_class: {class_name!r} does not exist")
    model = model_class()
    model.load_model(str(model_file(opened, conf.get("data"), "flavors.xgboost.data")))
    return model


def load_model(model_uri: str | os.PathLike[str]) -> Any:
    """Load the XGBoost model (Booster or sklearn-style) of a model folder or URI.

    Raises:
        InvalidState: the model's files changed since it was saved (the file is named).
        InvalidParameter: the model is not an XGBoost model.
        NotFound: no model there.
    """
    return load_with(model_uri, _load)


def load_pyfunc(opened: OpenedModel) -> LoadedModel:
    """Load a verified model folder for ``trackstone.pyfunc``."""
    model = _load(opened)
    return LoadedModel(model, _predict_with(model))
