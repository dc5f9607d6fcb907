"""Models in MLflow's MLmodel format: metadata, signatures, input examples, environments, hashes.

The flavors (``trackstone.sklearn``, ``trackstone.xgboost``, ``trackstone.lightgbm``,
``trackstone.pytorch``) and the generic loader (``trackstone.pyfunc``) are built on these
modules; ``docs/models.md`` describes the format. Names are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trackstone.models.mlmodel import ModelMetadata
    from trackstone.models.model_info import ModelInfo
    from trackstone.models.signature import (
        ColSpec,
        ModelSignature,
        Schema,
        TensorSpec,
        infer_signature,
    )

__all__ = [
    "ColSpec",
    "ModelInfo",
    "ModelMetadata",
    "ModelSignature",
    "Schema",
    "TensorSpec",
    "infer_signature",
]

_MODULE_OF = {
    "ColSpec": "trackstone.models.signature",
    "ModelSignature": "trackstone.models.signature",
    "Schema": "trackstone.models.signature",
    "TensorSpec": "trackstone.models.signature",
    "infer_signature": "trackstone.models.signature",
    "ModelInfo": "trackstone.models.model_info",
    "ModelMetadata": "trackstone.models.mlmodel",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
