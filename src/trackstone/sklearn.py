"""The scikit-learn flavor: save, log and load estimators in MLflow's ``sklearn`` layout.

The estimator is pickled into ``model.pkl`` (``serialization_format: pickle``); MLflow's
``mlflow.sklearn`` and ``mlflow.pyfunc`` load it, and models MLflow saved as ``pickle``,
``cloudpickle`` (or ``skops`` when skops is installed) load here.

Loading a pickle runs code chosen by whoever wrote the file: load only models you trust.
Trackstone checks the file hashes recorded at save time first (see ``docs/models.md``).

Example:
    >>> import trackstone.sklearn  # doctest: +SKIP
    >>> info = trackstone.sklearn.log_model(classifier, name="model", input_example=x[:5])
    >>> trackstone.sklearn.load_model(info.model_uri).predict(x)
"""

from __future__ import annotations

import importlib
import os
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trackstone.errors import InvalidParameter, InvalidState
from trackstone.models.environment import pinned
from trackstone.models.load import LoadedModel, OpenedModel, load_with, model_file
from trackstone.models.mlmodel import PYFUNC_FLAVOR, ModelMetadata
from trackstone.models.model_info import ModelInfo
from trackstone.models.run_logging import log_model_to_run
from trackstone.models.save import Flavor, SaveOptions, save_model_dir

__all__ = [
    "FLAVOR_NAME",
    "LOADER_MODULE",
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "load_model",
    "load_pyfunc",
    "log_model",
    "save_model",
]

FLAVOR_NAME = "sklearn"
LOADER_MODULE = "mlflow.sklearn"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
_SKOPS = "skops"
_MODEL_FILE = "model.pkl"


def _flavor(sk_model: Any, pyfunc_predict_fn: str) -> Flavor:
    if not callable(getattr(sk_model, pyfunc_predict_fn, None)):
        raise InvalidParameter(f"pyfunc_predict_fn: the model has no method {pyfunc_predict_fn!r}")

    def write(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        with (root / _MODEL_FILE).open("wb") as stream:
            pickle.dump(sk_model, stream, protocol=pickle.DEFAULT_PROTOCOL)
        flavor_conf = {
            "pickled_model": _MODEL_FILE,
            "serialization_format": SERIALIZATION_FORMAT_PICKLE,
            "sklearn_version": str(importlib.import_module("sklearn").__version__),
            "code": None,
        }
        return flavor_conf, {"model_path": _MODEL_FILE, "predict_fn": pyfunc_predict_fn}

    return Flavor(
        name=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        write=write,
        predict=getattr(sk_model, pyfunc_predict_fn),
        requirements=[pinned("scikit-learn", "sklearn")],
    )


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    input_example: Any = None,
    signature: Any = None,
    *,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    pyfunc_predict_fn: str = "predict",
) -> ModelMetadata:
    """Save a scikit-learn estimator as a model folder at ``path``.

    Args:
        sk_model: a fitted estimator (anything picklable with a ``predict`` method).
        path: a folder that does not exist yet (or is empty).
        input_example: a DataFrame or numpy array; saved, and used to infer the signature.
        signature: an explicit ``ModelSignature`` (``False`` for none).
        pip_requirements: replaces the default requirements (scikit-learn and numpy pinned).
        extra_pip_requirements: added to the default requirements.
        metadata: free-form metadata stored in MLmodel.
        pyfunc_predict_fn: the method ``python_function`` calls (``predict_proba``...).

    Raises:
        AlreadyExists: ``path`` exists and is not empty.
        InvalidParameter: the example or signature is unusable.
    """
    options = SaveOptions(
        input_example, signature, pip_requirements, extra_pip_requirements, metadata
    )
    return save_model_dir(path, _flavor(sk_model, pyfunc_predict_fn), options)


def log_model(
    sk_model: Any,
    name: str | None = None,
    input_example: Any = None,
    signature: Any = None,
    registered_model_name: str | None = None,
    *,
    artifact_path: str | None = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    pyfunc_predict_fn: str = "predict",
) -> ModelInfo:
    """Log a scikit-learn estimator under the active run (started if none) at ``name``.

    ``artifact_path`` is MLflow 2's name for ``name``. Other arguments as in ``save_model``;
    ``registered_model_name`` also registers the logged model under that name.

    Example:
        >>> info = trackstone.sklearn.log_model(model, name="model")  # doctest: +SKIP
        >>> info.model_uri
        'runs:/4f.../model'
    """
    options = SaveOptions(
        input_example, signature, pip_requirements, extra_pip_requirements, metadata
    )
    flavor = _flavor(sk_model, pyfunc_predict_fn)
    return log_model_to_run(flavor, name, artifact_path, options, registered_model_name)


def _unpickle(path: Path, serialization_format: Any, trusted_types: Any) -> Any:
    if serialization_format == SERIALIZATION_FORMAT_PICKLE:
        with path.open("rb") as stream:
            return pickle.load(stream)  # hashes were checked first; see docs/models.md
    if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
        cloudpickle = _optional_module("cloudpickle", serialization_format)
        with path.open("rb") as stream:
            return cloudpickle.load(stream)
    if serialization_format == _SKOPS:
        return _optional_module("skops.io", serialization_format).load(path, trusted=trusted_types)
    raise InvalidParameter(
        f"flavors.sklearn.serialization_format: unsupported value {serialization_format!r} "
        f"(expected {SERIALIZATION_FORMAT_PICKLE}, {SERIALIZATION_FORMAT_CLOUDPICKLE} or {_SKOPS})"
    )


def _optional_module(module: str, serialization_format: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise InvalidState(
            f"flavors.sklearn.serialization_format {serialization_format!r}: loading it needs "
            f"the {package!r} package, which is not installed"
        ) from None


def _load_estimator(opened: OpenedModel) -> Any:
    conf = opened.metadata.flavors.get(FLAVOR_NAME, {})
    pyfunc_conf = opened.metadata.flavors.get(PYFUNC_FLAVOR, {})
    relative = conf.get("pickled_model") or pyfunc_conf.get("model_path")
    path = model_file(opened, relative, "flavors.sklearn.pickled_model")
    return _unpickle(
        path,
        conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE),
        conf.get("skops_trusted_types"),
    )


def load_model(model_uri: str | os.PathLike[str]) -> Any:
    """Load the scikit-learn estimator of a model folder or URI (``runs:/``, ``models:/``...).

    Raises:
        InvalidState: the model's files changed since it was saved (the file is named).
        InvalidParameter: the model is not a scikit-learn model.
        NotFound: no model there.
    """

    def load(opened: OpenedModel) -> Any:
        opened.metadata.flavor(FLAVOR_NAME)
        return _load_estimator(opened)

    return load_with(model_uri, load)


def load_pyfunc(opened: OpenedModel) -> LoadedModel:
    """Load a verified model folder for ``trackstone.pyfunc``: predict with ``predict_fn``."""
    estimator = _load_estimator(opened)
    predict_fn = opened.metadata.flavors.get(PYFUNC_FLAVOR, {}).get("predict_fn", "predict")
    method = getattr(estimator, str(predict_fn), None)
    if not callable(method):
        raise InvalidParameter(
            f"flavors.python_function.predict_fn: the model has no method {predict_fn!r}"
        )
    return LoadedModel(estimator, method)
