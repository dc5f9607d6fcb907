"""The LightGBM flavor: save, log and load models in MLflow's ``lightgbm`` layout.

A ``Booster`` is written with LightGBM's own text format (``model.lgb``); a scikit-learn
style model (``LGBMClassifier``...) is pickled into ``model.pkl`` with
``serialization_format: pickle``, as MLflow does. Loading a pickle runs code chosen by whoever
wrote it (see ``docs/models.md``); a Booster file does not.

Example:
    >>> import trackstone.lightgbm  # doctest: +SKIP
    >>> info = trackstone.lightgbm.log_model(booster, name="model", input_example=x[:5])
    >>> trackstone.lightgbm.load_model(info.model_uri).predict(x)
"""

from __future__ import annotations

import importlib
import os
import pickle
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

FLAVOR_NAME = "lightgbm"
LOADER_MODULE = "mlflow.lightgbm"
_BOOSTER_CLASS = "lightgbm.basic.Booster"
_BOOSTER_FILE = "model.lgb"
_PICKLE_FILE = "model.pkl"
_PICKLE = "pickle"


def _lgb() -> Any:
    return importlib.import_module("lightgbm")


def _flavor(lgb_model: Any) -> Flavor:
    lgb = _lgb()
    is_booster = isinstance(lgb_model, lgb.Booster)
    if not is_booster and not isinstance(lgb_model, lgb.LGBMModel):
        raise InvalidParameter(
            f"lgb_model: expected a lightgbm Booster or LGBMModel, got {class_path(lgb_model)}"
        )
    file_name = _BOOSTER_FILE if is_booster else _PICKLE_FILE

    def write(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        if is_booster:
            lgb_model.save_model(str(root / file_name))
        else:
            with (root / file_name).open("wb") as stream:
                pickle.dump(lgb_model, stream, protocol=pickle.DEFAULT_PROTOCOL)
        flavor_conf: dict[str, Any] = {
            "data": file_name,
            "model_class": class_path(lgb_model),
            "lgb_version": str(lgb.__version__),
            "code": None,
        }
        if not is_booster:
            flavor_conf["serialization_format"] = _PICKLE
        return flavor_conf, {"data": file_name}

    return Flavor(
        name=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        write=write,
        predict=lgb_model.predict,
        requirements=[pinned("lightgbm")],
    )


def save_model(
    lgb_model: Any,
    path: str | os.PathLike[str],
    input_example: Any = None,
    signature: Any = None,
    *,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ModelMetadata:
    """Save a LightGBM model as a model folder at ``path``.

    Args:
        lgb_model: a trained ``lightgbm.Booster`` or ``LGBMModel`` (``LGBMRegressor``...).
        path: a folder that does not exist yet (or is empty).
        input_example: a DataFrame or numpy array; saved, and used to infer the signature.
        signature: an explicit ``ModelSignature`` (``False`` for none).
        pip_requirements: replaces the default requirements (lightgbm and numpy pinned).
        extra_pip_requirements: added to the default requirements.
        metadata: free-form metadata stored in MLmodel.

    Raises:
        AlreadyExists: ``path`` exists and is not empty.
        InvalidParameter: not a LightGBM model, or the example/signature is unusable.
    """
    options = SaveOptions(
        input_example, signature, pip_requirements, extra_pip_requirements, metadata
    )
    return save_model_dir(path, _flavor(lgb_model), options)


def log_model(
    lgb_model: Any,
    name: str | None = None,
    input_example: Any = None,
    signature: Any = None,
    registered_model_name: str | None = None,
    *,
    artifact_path: str | None = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ModelInfo:
    """Log a LightGBM model under the active run (started if none) at ``name``.

    Arguments as in ``save_model``; ``registered_model_name`` also registers it.
    """
    options = SaveOptions(
        input_example, signature, pip_requirements, extra_pip_requirements, metadata
    )
    return log_model_to_run(_flavor(lgb_model), name, artifact_path, options, registered_model_name)


def _load(opened: OpenedModel) -> Any:
    conf = opened.metadata.flavor(FLAVOR_NAME)
    path = model_file(opened, conf.get("data"), "flavors.lightgbm.data")
    if conf.get("model_class", _BOOSTER_CLASS) == _BOOSTER_CLASS:
        return _lgb().Booster(model_file=str(path))
    serialization_format = conf.get("serialization_format", _PICKLE)
    if serialization_format not in (_PICKLE, "cloudpickle"):
        raise InvalidParameter(
            f"flavors.lightgbm.serialization_format: unsupported value {serialization_format!r}"
        )
    # cloudpickle writes ordinary pickles; reading them only needs cloudpickle importable.
    with path.open("rb") as stream:
        return pickle.load(stream)  # hashes were checked first; see docs/models.md


def load_model(model_uri: str | os.PathLike[str]) -> Any:
    """Load the LightGBM model (Booster or sklearn-style) of a model folder or URI.

    Raises:
        InvalidState: the model's files changed since it was saved (the file is named).
        InvalidParameter: the model is not a LightGBM model.
        NotFound: no model there.
    """
    return load_with(model_uri, _load)


def load_pyfunc(opened: OpenedModel) -> LoadedModel:
    """Load a verified model folder for ``trackstone.pyfunc``."""
    model = _load(opened)
    return LoadedModel(model, model.predict)
