"""The PyTorch flavor: save, log and load ``torch.nn.Module`` models in MLflow's ``pytorch`` layout.

The whole module is written with ``torch.save`` into ``data/model.pth`` (with
``data/pickle_module_info.txt`` naming the pickle module, as MLflow's loader expects), so the
model's class must be importable where it is loaded. Loading needs ``torch.load(...,
weights_only=False)``: that unpickles arbitrary objects, i.e. runs code chosen by whoever
wrote the file. Trackstone checks the file hashes recorded at save time first; still load only
models you trust (see ``docs/models.md``). Models MLflow exported with ``torch.export``
(``data/model.pt2``) load too, without unpickling.

Example:
    >>> import trackstone.pytorch  # doctest: +SKIP
    >>> info = trackstone.pytorch.log_model(net, name="model", input_example=x[:4])
    >>> trackstone.pytorch.load_model(info.model_uri)(torch.from_numpy(x))
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
from trackstone.models.save import Flavor, SaveOptions, save_model_dir

__all__ = ["FLAVOR_NAME", "LOADER_MODULE", "load_model", "load_pyfunc", "log_model", "save_model"]

FLAVOR_NAME = "pytorch"
LOADER_MODULE = "mlflow.pytorch"
_DATA_DIR = "data"
_MODEL_FILE = "model.pth"
_EXPORTED_FILE = "model.pt2"
_PICKLE_MODULE_FILE = "pickle_module_info.txt"
# Pickle modules whose files the standard unpickler reads (cloudpickle writes plain pickles).
_READABLE_PICKLE_MODULES = ("pickle", "cloudpickle", "mlflow.pytorch.pickle_module")


def _torch() -> Any:
    return importlib.import_module("torch")


def predict_with(model: Any) -> Any:
    """Return MLflow's pyfunc behaviour for a module: DataFrame in, DataFrame out; arrays stay."""
    import numpy as np
    import pandas as pd

    torch = _torch()

    def predict(data: Any) -> Any:
        if isinstance(data, pd.DataFrame):
            tensor = torch.from_numpy(data.to_numpy(dtype=np.float32))
        elif isinstance(data, np.ndarray):
            tensor = torch.from_numpy(data)
        else:
            raise InvalidParameter(
                f"data: expected a pandas DataFrame or a numpy array, got {type(data).__name__}"
            )
        model.eval()
        with torch.no_grad():
            output = model(tensor)
        if not isinstance(output, torch.Tensor):
            raise InvalidParameter(
                f"the model returned {type(output).__name__}, expected a single tensor"
            )
        values = output.detach().cpu().numpy()
        return pd.DataFrame(values) if isinstance(data, pd.DataFrame) else values

    return predict


def _flavor(pytorch_model: Any) -> Flavor:
    torch = _torch()
    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidParameter(
            f"pytorch_model: expected a torch.nn.Module, got {type(pytorch_model).__name__}"
        )

    def write(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        data_dir = root / _DATA_DIR
        data_dir.mkdir()
        (data_dir / _PICKLE_MODULE_FILE).write_text("pickle", encoding="utf-8")
        torch.save(pytorch_model, str(data_dir / _MODEL_FILE))
        flavor_conf = {
            "model_data": _DATA_DIR,
            "pytorch_version": str(torch.__version__),
            "code": None,
        }
        pyfunc_conf = {
            "data": _DATA_DIR,
            "pickle_module_name": "pickle",
            "model_config": {"device": None},
        }
        return flavor_conf, pyfunc_conf

    return Flavor(
        name=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        write=write,
        predict=predict_with(pytorch_model),
        requirements=[pinned("torch")],
    )


def save_model(
    pytorch_model: Any,
    path: str | os.PathLike[str],
    input_example: Any = None,
    signature: Any = None,
    *,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ModelMetadata:
    """Save a PyTorch module as a model folder at ``path``.

    Args:
        pytorch_model: a ``torch.nn.Module`` whose class is importable where it will load.
        path: a folder that does not exist yet (or is empty).
        input_example: a numpy array (or DataFrame, fed as float32); saved, and used to infer
            the signature by running the model on it.
        signature: an explicit ``ModelSignature`` (``False`` for none).
        pip_requirements: replaces the default requirements (torch and numpy pinned).
        extra_pip_requirements: added to the default requirements.
        metadata: free-form metadata stored in MLmodel.

    Raises:
        AlreadyExists: ``path`` exists and is not empty.
        InvalidParameter: not a module, or the example/signature is unusable.
    """
    options = SaveOptions(
        input_example, signature, pip_requirements, extra_pip_requirements, metadata
    )
    return save_model_dir(path, _flavor(pytorch_model), options)


def log_model(
    pytorch_model: Any,
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
    """Log a PyTorch module under the active run (started if none) at ``name``.

    Arguments as in ``save_model``; ``registered_model_name`` also registers it.
    """
    options = SaveOptions(
        input_example, signature, pip_requirements, extra_pip_requirements, metadata
    )
    return log_model_to_run(
        _flavor(pytorch_model), name, artifact_path, options, registered_model_name
    )


def _load(opened: OpenedModel, map_location: Any = None) -> Any:
    torch = _torch()
    conf = opened.metadata.flavor(FLAVOR_NAME)
    relative = conf.get("model_data", _DATA_DIR)
    data_dir = model_file(opened, relative, "flavors.pytorch.model_data")
    exported = data_dir / _EXPORTED_FILE
    if exported.is_file():
        return torch.export.load(str(exported)).module()
    module_file = data_dir / _PICKLE_MODULE_FILE
    if module_file.is_file():
        pickle_module = module_file.read_text(encoding="utf-8").strip()
        if pickle_module not in _READABLE_PICKLE_MODULES:
            raise InvalidParameter(
                f"{_DATA_DIR}/{_PICKLE_MODULE_FILE}: unsupported pickle module {pickle_module!r}"
            )
    path = model_file(opened, f"{relative}/{_MODEL_FILE}", "flavors.pytorch.model_data")
    # weights_only=False unpickles the whole module (code runs): the hashes were checked first.
    model = torch.load(str(path), map_location=map_location, weights_only=False)
    model.eval()
    return model


def load_model(model_uri: str | os.PathLike[str], map_location: Any = None) -> Any:
    """Load the ``torch.nn.Module`` of a model folder or URI, in eval mode.

    Args:
        model_uri: a local path, ``file://``, ``runs:/`` or ``models:/`` URI.
        map_location: passed to ``torch.load`` (e.g. ``"cpu"``).

    Raises:
        InvalidState: the model's files changed since it was saved (the file is named).
        InvalidParameter: the model is not a PyTorch model.
        NotFound: no model there.
    """
    return load_with(model_uri, lambda opened: _load(opened, map_location))


def load_pyfunc(opened: OpenedModel) -> LoadedModel:
    """Load a verified model folder for ``trackstone.pyfunc`` (on the CPU)."""
    model = _load(opened, "cpu")
    return LoadedModel(model, predict_with(model))
