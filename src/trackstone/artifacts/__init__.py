"""Artifact repositories: files logged by runs, confined to their roots.

Names are loaded on first use so that ``import trackstone.artifacts`` stays cheap.

``download_artifacts``, ``list_artifacts``, ``load_text``, ``load_dict`` and ``load_image``
are MLflow's ``mlflow.artifacts`` functions, so that ``import trackstone as mlflow`` runs
scripts calling ``mlflow.artifacts.download_artifacts(...)``. They need the tracking store
(``runs:/`` URIs), so they live in the client layer (``trackstone.client.artifact_functions``).
This is the one deliberate upward seam of this package, kept for MLflow name compatibility:
the client module is imported only when one of those names is first used, never by the
repositories themselves.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trackstone.artifacts.base import ArtifactRepository, FileInfo
    from trackstone.artifacts.local import LocalArtifactRepository
    from trackstone.artifacts.paths import safe_relative_path
    from trackstone.artifacts.resolve import repository_for_uri
    from trackstone.client.artifact_functions import (
        download_artifacts,
        list_artifacts,
        load_dict,
        load_image,
        load_text,
    )

__all__ = [
    "ArtifactRepository",
    "FileInfo",
    "LocalArtifactRepository",
    "download_artifacts",
    "list_artifacts",
    "load_dict",
    "load_image",
    "load_text",
    "repository_for_uri",
    "safe_relative_path",
]

_MLFLOW_FUNCTIONS = "trackstone.client.artifact_functions"
_MODULE_OF = {
    "ArtifactRepository": "trackstone.artifacts.base",
    "FileInfo": "trackstone.artifacts.base",
    "LocalArtifactRepository": "trackstone.artifacts.local",
    "repository_for_uri": "trackstone.artifacts.resolve",
    "safe_relative_path": "trackstone.artifacts.paths",
    "download_artifacts": _MLFLOW_FUNCTIONS,
    "list_artifacts": _MLFLOW_FUNCTIONS,
    "load_dict": _MLFLOW_FUNCTIONS,
    "load_image": _MLFLOW_FUNCTIONS,
    "load_text": _MLFLOW_FUNCTIONS,
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
