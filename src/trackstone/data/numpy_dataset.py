"""Datasets built from numpy arrays (or dicts of arrays): ``from_numpy``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackstone.data.dataset import DIGEST_LENGTH, TrackedDataset
from trackstone.data.source import DatasetSource, source_from
from trackstone.errors import InvalidParameter

if TYPE_CHECKING:
    import numpy

    Arrays = numpy.ndarray[Any, Any] | Mapping[str, numpy.ndarray[Any, Any]]

__all__ = ["NumpyDataset", "from_numpy", "numpy_digest"]

DEFAULT_NAME = "dataset"


def _named(arrays: Arrays | None) -> dict[str, Any]:
    """Return ``{"": array}`` for one array, the mapping itself for a dict of arrays."""
    import numpy

    if arrays is None:
        return {}
    if isinstance(arrays, Mapping):
        return {str(key): numpy.asarray(value) for key, value in arrays.items()}
    return {"": numpy.asarray(arrays)}


def _hash_arrays(hasher: Any, label: str, arrays: dict[str, Any]) -> None:
    import numpy

    for key in sorted(arrays):
        array = arrays[key]
        hasher.update(f"{label}:{key}:{array.dtype.str}:{array.shape}\x00".encode())
        if array.dtype == numpy.dtype(object):
            # Object arrays hold pointers; hash what they point to instead.
            hasher.update(repr(array.tolist()).encode())
        else:
            hasher.update(numpy.ascontiguousarray(array).tobytes())


def numpy_digest(features: Arrays, targets: Arrays | None = None) -> str:
    """Hash the dtypes, shapes and bytes of the features and targets into a short hex digest.

    Example:
        >>> import numpy as np
        >>> numpy_digest(np.arange(4)) == numpy_digest(np.arange(4))
        True
    """
    hasher = hashlib.sha256()
    _hash_arrays(hasher, "features", _named(features))
    _hash_arrays(hasher, "targets", _named(targets))
    return hasher.hexdigest()[:DIGEST_LENGTH]


def _tensor_specs(arrays: dict[str, Any]) -> str:
    specs = []
    for key, array in arrays.items():
        spec: dict[str, Any] = {
            "type": "tensor",
            "tensor-spec": {"dtype": str(array.dtype), "shape": [-1, *array.shape[1:]]},
        }
        if key:
            spec["name"] = key
        specs.append(spec)
    return json.dumps(specs)


def _sizes(label: str, arrays: dict[str, Any]) -> dict[str, Any]:
    if set(arrays) == {""}:
        array = arrays[""]
        return {
            f"{label}_shape": list(array.shape),
            f"{label}_size": int(array.size),
            f"{label}_nbytes": int(array.nbytes),
        }
    return {
        f"{label}_shape": {key: list(a.shape) for key, a in arrays.items()},
        f"{label}_size": {key: int(a.size) for key, a in arrays.items()},
        f"{label}_nbytes": {key: int(a.nbytes) for key, a in arrays.items()},
    }


class NumpyDataset(TrackedDataset):
    """Feature (and optional target) arrays with their digest, source, shapes and sizes."""

    def __init__(
        self,
        features: Arrays,
        source: DatasetSource,
        targets: Arrays | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name or DEFAULT_NAME, numpy_digest(features, targets), source)
        self._features = _named(features)
        self._targets = _named(targets)
        self._raw_features = features
        self._raw_targets = targets

    @property
    def features(self) -> Arrays:
        """The feature array (or dict of arrays), as given."""
        return self._raw_features

    @property
    def targets(self) -> Arrays | None:
        """The target array (or dict of arrays), as given."""
        return self._raw_targets

    @property
    def schema(self) -> dict[str, Any]:
        """Dtypes and shapes (first axis variable), in MLflow's ``mlflow_tensorspec`` layout."""
        spec = {"features": _tensor_specs(self._features)}
        if self._targets:
            spec["targets"] = _tensor_specs(self._targets)
        return {"mlflow_tensorspec": spec}

    @property
    def profile(self) -> dict[str, Any]:
        """Shapes, element counts and byte sizes of the features and targets."""
        profile = _sizes("features", self._features)
        if self._targets:
            profile.update(_sizes("targets", self._targets))
        return profile


def from_numpy(
    features: Arrays,
    source: DatasetSource | str | Path | None = None,
    name: str | None = None,
    targets: Arrays | None = None,
) -> NumpyDataset:
    """Wrap numpy arrays as a dataset to record with ``log_input``.

    Args:
        features: an array, or a dict of named arrays.
        source: where the data came from: a URI, a local path, or None for data built in code.
        name: a name for the dataset (``"dataset"`` by default).
        targets: the labels: an array or a dict of named arrays.

    Example:
        >>> dataset = from_numpy(X, targets=y, name="iris")  # doctest: +SKIP
        >>> trackstone.log_input(dataset, context="training")  # doctest: +SKIP
    """
    if not (isinstance(features, Mapping) or hasattr(features, "__array__")):
        raise InvalidParameter(
            f"features: expected a numpy array or a dict of arrays, got {type(features).__name__}"
        )
    return NumpyDataset(features, source_from(source), targets=targets, name=name)
