"""Artifact repositories: files logged by runs, confined to their roots.

Names are loaded on first use so that ``import trackstone.artifacts`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trackstone.artifacts.base import ArtifactRepository, FileInfo
    from trackstone.artifacts.local import LocalArtifactRepository
    from trackstone.artifacts.paths import safe_relative_path
    from trackstone.artifacts.resolve import repository_for_uri

__all__ = [
    "ArtifactRepository",
    "FileInfo",
    "LocalArtifactRepository",
    "repository_for_uri",
    "safe_relative_path",
]

_MODULE_OF = {
    "ArtifactRepository": "trackstone.artifacts.base",
    "FileInfo": "trackstone.artifacts.base",
    "LocalArtifactRepository": "trackstone.artifacts.local",
    "repository_for_uri": "trackstone.artifacts.resolve",
    "safe_relative_path": "trackstone.artifacts.paths",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
