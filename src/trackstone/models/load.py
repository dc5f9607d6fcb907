"""Open a model named by a URI: fetch it to a local folder, verify its hashes, read its MLmodel.

Accepted URIs: a local path, ``file://``, ``runs:/<run_id>/<path>``, ``models:/...`` and any
URI ``trackstone.artifacts.download_artifacts`` serves (``s3://``, ``mlflow-artifacts:/``...).
Remote models are downloaded into a temporary folder removed after loading: every flavor here
reads its files eagerly.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from trackstone.errors import InvalidParameter, NotFound
from trackstone.models.hashes import HASH_FILE_NAME, verify_hashes
from trackstone.models.mlmodel import ModelMetadata, read_mlmodel

__all__ = [
    "LoadedModel",
    "OpenedModel",
    "load_with",
    "local_model_dir",
    "model_file",
    "open_model",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class OpenedModel:
    """A verified local model directory and what its MLmodel says."""

    path: Path
    metadata: ModelMetadata
    verified: bool


@dataclass(frozen=True)
class LoadedModel:
    """A flavor's answer to the generic loader: the framework object and how to predict."""

    raw_model: Any
    predict: Callable[[Any], Any]


def _local_path(model_uri: str) -> Path | None:
    """Return the local path a URI names, or None when it must be downloaded."""
    from trackstone.artifacts.resolve import uri_scheme

    scheme = uri_scheme(model_uri)
    if not scheme:
        return Path(model_uri)
    if scheme == "file":
        parts = urlsplit(model_uri)
        if parts.netloc not in ("", "localhost"):
            raise InvalidParameter(f"model_uri {model_uri!r}: file:// URIs must name a local path")
        return Path(unquote(parts.path))
    return None


@contextmanager
def local_model_dir(model_uri: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a local folder holding the model ``model_uri`` names (downloaded if remote).

    Raises:
        InvalidParameter: the URI is empty or not supported.
        NotFound: there is no model folder there.
    """
    text = os.fspath(model_uri)
    if not text:
        raise InvalidParameter("model_uri: must not be empty")
    local = _local_path(text)
    if local is not None:
        if not local.is_dir():
            raise NotFound(f"model_uri {text!r}: no model folder at {str(local)!r}")
        yield local
        return
    from trackstone.artifacts import download_artifacts

    target = tempfile.mkdtemp(prefix="trackstone-model-")
    try:
        yield Path(download_artifacts(artifact_uri=text, dst_path=target))
    finally:
        shutil.rmtree(target, ignore_errors=True)


def open_model(model_dir: Path) -> OpenedModel:
    """Verify a local model folder's file hashes, then read its MLmodel.

    A folder without a hash file (a model MLflow wrote) is read with a warning.

    Raises:
        InvalidState: a file changed, is missing or was added since the model was saved.
        NotFound: the folder has no MLmodel file.
    """
    verified = verify_hashes(model_dir)
    if not verified:
        logger.warning(
            "model %s has no %s: its files cannot be verified (was it saved by MLflow?)",
            model_dir,
            HASH_FILE_NAME,
        )
    return OpenedModel(Path(model_dir), read_mlmodel(model_dir), verified)


def model_file(opened: OpenedModel, relative: Any, field: str) -> Path:
    """Return the file (or folder) an MLmodel field names inside the model folder.

    Raises:
        InvalidParameter: the field is missing or names a path outside the model folder.
        NotFound: nothing exists at that path.
    """
    if not isinstance(relative, str) or not relative:
        raise InvalidParameter(
            f"{field}: expected a file name in the model folder, got {relative!r}"
        )
    root = opened.path.resolve()
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        raise InvalidParameter(f"{field}: {relative!r} points outside the model folder")
    if not candidate.exists():
        raise NotFound(f"{field}: {relative!r} does not exist in model {str(opened.path)!r}")
    return candidate


def load_with(model_uri: str | os.PathLike[str], loader: Callable[[OpenedModel], T]) -> T:
    """Fetch and verify the model ``model_uri`` names, then return ``loader``'s result on it."""
    with local_model_dir(model_uri) as path:
        return loader(open_model(path))
